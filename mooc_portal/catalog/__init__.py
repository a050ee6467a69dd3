"""The course catalog: courses, their runs, and search."""
