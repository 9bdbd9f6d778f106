"""Tasks registered by name: each is a seeded generator/loader that sizes its models."""

from seqlab.tasks.palindrome import PalindromeTask

TASKS = {"palindrome": PalindromeTask}
