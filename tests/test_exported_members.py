"""The public API is what __all__ says, and every name in it exists (as httpx pins its own)."""

import archiver


def test_all_names_exist_and_are_sorted():
    assert archiver.__all__ == sorted(archiver.__all__)
    for name in archiver.__all__:
        assert hasattr(archiver, name), name


def test_public_members_are_pinned():
    public = {n for n in dir(archiver) if not n.startswith("_") and not isinstance(getattr(archiver, n), type(archiver))}
    assert public == set(archiver.__all__) - {"__version__"}
