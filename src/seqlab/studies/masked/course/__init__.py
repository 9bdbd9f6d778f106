"""The Northwestern homework's masked MLP autoencoder as the published filled-in copy ran it
(luhsin23/Deep-Learning@a389d49, question 1.1; ../shared/COURSES.md §5), beside seqlab's own
masked study.

What the copy did, and this package reproduces:

- the encoder ``Linear(784, 128) - ReLU - Linear(128, 128) - ReLU - Linear(128, 32)`` (no
  activation on the code) and the decoder ``Linear(32, 128) - LeakyReLU(0.2) - Linear(128, 128) -
  LeakyReLU(0.2) - Linear(128, 784) - Sigmoid``, at torch's default init;
- the input: the image (ToTensor: pixels in [0, 1], no normalisation) with its left half, columns
  0-13, zeroed; the target: the whole image; ``nn.MSELoss`` (the mean over pixels);
- Adam at lr 0.001, batches of 64 shuffled afresh each epoch, 30 epochs, the mean batch loss
  logged per epoch.

It trains on the MNIST study's splits. The copy used no test set; seqlab scores the test split
with the judge (the MNIST study's best classifier), and nothing is chosen on it. Stages:
masked_course_train -> masked_course_evaluate -> masked_course_figures.
"""
