"""A Learning Record Store (xAPI 1.0.3) at ``/xapi`` for partner platforms, and the
progress, completion and certificates their statements report."""
