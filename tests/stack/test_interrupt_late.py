"""The last interruption points of test_interrupt.py (after the load balancer's and the first
service's creates), in a file of their own so that another xdist worker runs them."""

from __future__ import annotations

import pytest

from .test_interrupt import LATE, interrupted_site_converges_on_rerun


@pytest.mark.parametrize("point", LATE, ids=repr)
def test_interrupted_site_converges_on_rerun(aws, point, tmp_path):
    interrupted_site_converges_on_rerun(aws, point, tmp_path)
