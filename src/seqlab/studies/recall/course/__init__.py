"""The EE6132 course's digit recall as its q2.py ran it (varun19299/EE6132-DL, assign-3/q2.py at
97a300d; the report's Question 2), beside seqlab's own recall study: digits 0-8 one-hot over 10,
one length L in 3..9 per batch of 32 and no padding, the digit at index 1 read from the last
step of nn.LSTM(10, H) -> Linear(H, 10), cross-entropy, Adam at 0.01 with no clipping, torch's
default initialisation, 15 epochs of 100 fresh batches, and the course's test of 20 fresh
batches (640 sequences) after each epoch. A larger set drawn the same way judges the ledger row.

Stages: recall_course_train -> recall_course_evaluate -> recall_course_figures. They read
``recall.course`` only, so seqlab's recall stages never re-run for them.
"""
