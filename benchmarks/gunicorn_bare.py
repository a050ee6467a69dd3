"""gunicorn settings of the benchmarks' servers: none beyond their command line.

gunicorn reads ``gunicorn.conf.py`` from its working directory unless given another file; the
repository's (production: an access log line per request, five workers here) would measure
logging and a different worker count, and for "hello" as well as the portal.
"""
