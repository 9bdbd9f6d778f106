"""The EE6132 course's own protocol for binary addition (q3.py at commit e18535b, the report's
Question 3; ../shared/COURSES.md §3), beside seqlab's addition study:

- operands drawn as the course drew them, c ~ U[0, 2^L), a ~ U[0, c], b = c − a, so the sum never
  carries out of its L bits; bits least significant first over L+1 steps;
- a fresh batch of 32 every step, 10 epochs of 1,000 steps;
- ``nn.LSTM(2, H) -> nn.Linear(H, 1) -> sigmoid`` at every step, torch's default initialisation,
  Adam at 0.01 with its default betas, no clipping;
- two losses: MSE on the sigmoid outputs, and the course's "hackish" cross-entropy, which treats
  the L+1 sigmoid outputs as class scores over *time positions* against the position of the sum's
  lowest set bit (network.time_position_ce);
- the course's metric: each output thresholded at 0.5, the bits decoded, the whole number right.

Stages: addition_course_train -> addition_course_evaluate -> addition_course_figures
(seqlab.studies.addition.course_figures). No data stage: every run's stream is regenerated bit
for bit from its seed, as uvapal's are.
"""
