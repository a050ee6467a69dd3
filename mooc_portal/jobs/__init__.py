"""Background work: a transactional outbox in the portal's database, relayed to RQ on Redis.

Work (mail, harvests, reindexing) is written as an :class:`~mooc_portal.jobs.models.OutboxJob`
row in the same commit as the change that caused it; after the commit it is pushed to the
queue (or, without Redis, run in the process that committed). See ``docs/jobs.md``.
"""
