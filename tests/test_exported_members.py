"""The public API is what __all__ says, and every name in it exists (as httpx pins its own)."""

import subprocess
import sys

import archiver


def test_all_names_exist_and_are_sorted():
    assert archiver.__all__ == sorted(archiver.__all__)
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None, name


def test_public_members_are_pinned():
    assert dir(archiver) == archiver.__all__
    assert len(archiver.__all__) == 48  # the store boundary: ArchiveStore, StoreReader, their openers, StoreError kinds


def test_unknown_name_is_an_attribute_error():
    try:
        archiver.nope  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("archiver.nope should not exist")


def test_lint_does_not_import_the_network_stack():
    code = "import sys, archiver.cli, archiver.lint; print('httpx' in sys.modules, 'archiver.wayback.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
