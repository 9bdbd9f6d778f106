"""What every training or evaluation step imports: the loop, metrics, run records, workers, seeding."""
