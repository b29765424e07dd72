import pytest

from shipyard.registry_api import scheme_for


@pytest.mark.parametrize(
    "address, scheme",
    [
        ("127.0.0.1:5000", "http"),
        ("127.0.0.2:5001", "http"),
        ("localhost:5000", "http"),
        ("localhost", "http"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "https"),
        ("registry.example:5000", "https"),
        ("10.0.0.5:5000", "https"),
    ],
)
def test_scheme_for_address(address, scheme):
    assert scheme_for(address) == scheme
