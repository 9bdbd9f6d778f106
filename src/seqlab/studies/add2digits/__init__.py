"""The Northwestern course's Add2Digits task (homework 4, question 2): a standard RNN against an
LSTM at L = 5, 10 and 30, as a published filled-in copy of the homework ran it, beside seqlab's
corrected protocol (fresh batches, a large held-out judge set), with the gradient flow that tests
the report's theory sentence."""
