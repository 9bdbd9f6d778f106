"""The EE6132 course's sequential-MNIST protocol as its q1.py ran it (varun19299/EE6132-DL,
assign-3/q1.py at commit 54d1096; ../shared/COURSES.md §3), beside the MNIST study's own grid.

What ran, and what this package reproduces: one unidirectional nn.RNN (tanh), nn.LSTM or nn.GRU
layer reading an image's 28 rows, then nn.Linear(H, 10) on the last step's output, torch's
default initialisation; Adam at lr 0.01 (default betas), no weight decay, no clipping; batches
of 64 for 938 updates (one epoch of 60,000 images); the test images scored after the updates
the course logged (its 0-based steps 0, 50, ..., 900). Its "(64, 64)" is a Linear(28, 64) kept in
a plain dict, so never registered and never trained: here a frozen map stored as buffers.

Stages: mnist_generate -> mnist_course_train -> mnist_course_evaluate -> mnist_course_figures.
"""
