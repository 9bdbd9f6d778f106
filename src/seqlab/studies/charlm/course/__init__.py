"""The UvA course's own protocol for the char-LSTM (../shared/COURSES.md §1, "Text"), beside
seqlab's: Embedding(V, 64) -> a 2-layer nn.LSTM of 256 -> Linear(256, V), random windows of 30
characters in batches of 64, Adam at 2e-3 with no learning-rate decay (the course's decay
arguments exist but are never applied), gradient norm clipped at 5, and accuracy read as the
course read it: the argmax at every position of the *training batch*. Held-out accuracy and
bits per character are scored beside it. The course's "temperature" is an inverse temperature,
softmax(beta * logits): its tau = 0.5 is seqlab's tau = 2 (measures.course_tau).

Stages: charlm_prepare -> charlm_course_train -> charlm_course_evaluate (which also measures
seqlab's own run, models/charlm, the same way: the ledger's corrected protocol).
"""
