"""The UvA course's binary palindromes, as the course ran them (its task, networks, init, loss bug,
optimiser and metric), beside the same runs with the bug fixed and one-change ablations."""
