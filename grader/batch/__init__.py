"""A class's folder graded: intake, plan, workers, cluster, folder lock, stopping."""
