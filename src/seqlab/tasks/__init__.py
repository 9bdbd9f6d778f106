"""Tasks: one module each, a seeded generator or loader that sizes its models (input_dim,
num_classes, seq_len). Stages import the task module they need directly, so adding a task here
re-runs no other study."""
