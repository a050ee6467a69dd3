"""ADL's LRS conformance suite, statement requirements, against a live portal on each
database (a scratch database each: the suite leaves what it writes)."""

from tests.xapi.adl import STATEMENT_REQUIREMENTS, installed_suite, run_suite
from tests.xapi.live import live_portal


def test_the_statement_requirements_of_adls_suite_pass(scratch_database):
    installed_suite()
    with live_portal(scratch_database) as portal:
        result = run_suite(portal.endpoint, portal.key, portal.secret, grep=STATEMENT_REQUIREMENTS)
    assert result.total > 250, result
    assert result.failed == 0, "\n".join(result.failures)
