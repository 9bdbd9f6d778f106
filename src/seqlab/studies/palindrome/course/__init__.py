"""The CS324 (SUSTech) palindrome experiments as the student's code ran them (../shared/COURSES.md §2),
beside seqlab's one-hot headline study.

What ran, and this package reproduces in torch:

- the template's ``PalindromeDataset``: distinct first halves drawn without replacement from
  [0, 10^ceil(T/2)) (leading zeros allowed), capped at 10^ceil(T/2) (T = 5 has only 1,000
  palindromes); the input is the first T-1 digits, one scalar each (input_dim 1), the target the
  last digit, 10 classes; a random 80/20 train/validation split, no test set;
- the LSTM of assignment 3 (``starga2er777/SUSTech_CS324``, ``assignment3/Part 1`` @0cd95b88):
  hand-written gates, each an ``nn.Linear(1, 128)`` on x plus an ``nn.Linear(128, 128)`` on h at
  torch's default init, the softmax output fed to ``CrossEntropyLoss`` (a softmax taken twice);
  RMSprop at lr 0.001, clipping at 10, batch 128 in a fixed order with the last partial batch
  dropped, 100 epochs of 100,000 palindromes;
- the RNN "from the last assignment" (assignment 2, ``Part 3`` @84a30884): a hand-written tanh RNN
  with the same output and loss, RMSprop at lr 0.001 (its StepLR is built but never stepped),
  batch 128 with the last partial batch kept, 1,000 epochs of up to 1,000,000 palindromes.

network.py holds the two networks, steps.py the data, the epoch update and the stages. Nothing
here imports seqlab's own palindrome steps, so their stages keep their deps.
"""
