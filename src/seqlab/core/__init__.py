"""What every stage imports: params loading, artifact paths, errors, the stage CLI, tracking."""
