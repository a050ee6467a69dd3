"""Learners' personal data: the privacy notice, sharing consents, "my data", erasure, retention.

Modules: ``models`` (tables), ``notices`` (the versioned notice and its acknowledgements),
``sharing`` (what a partner institution may see of a learner), ``registry`` (every table that
holds a learner reference, and what export and erasure do with it), ``export`` ("my data"),
``erasure`` (deleting an account), ``retention`` (how long things are kept), ``processing``
(the records of processing), ``views``, ``forms`` and ``cli``.
"""
