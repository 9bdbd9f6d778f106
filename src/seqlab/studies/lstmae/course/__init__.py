"""The LSTM-autoencoder course's three tasks as its own code ran them (yaelsarsha/LSTM-AutoEncoder
at 7633b39: lstm_ae_toy.py, lstm_ae_mnist.py, lstm_ae_snp500.py; ../shared/COURSES.md §4), beside
seqlab's own lstmae and mnist studies.

What the course's Keras code did, and this package reproduces in torch:

- synthetic signals: 10,000 x 50 values from U[0, 1], each row min-max scaled to [0, 1] and then
  shifted to mean 0.5 (no dip), split 60/20/20 in order;
- the model ``LSTM(H) -> RepeatVector(T) -> LSTM(H) -> TimeDistributed(Dense(F, tanh))``, with
  Keras's initialisers (Glorot-uniform input kernels, an orthogonal recurrent kernel over all four
  gates, zero biases with the forget gate's at 1) and Keras's Adam (epsilon 1e-7, "epsilon hat");
- the MNIST classifier ``LSTM -> RepeatVector(28) -> LSTM -> Dense(10, sigmoid)`` with Keras's
  recurrent dropout (four per-gate masks per batch) in both LSTMs, binary cross-entropy on
  one-hot labels;
- S&P 500 windows of the close, drawn with replacement and min-max scaled each; the prediction
  model's encoder reads the first N-1 days and a second decoder outputs all N.

network.py holds the models, update.py the Keras-faithful optimiser step, data.py the course's
data. Nothing here imports seqlab's own lstmae steps, so its stages keep their deps.
"""
