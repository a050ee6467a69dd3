"""Progress tracking: lessons a learner completed, where they left off, and run figures."""
