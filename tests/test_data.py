"""The data helper: offline extraction, clear errors, nothing half-extracted, no network."""
import io
import os
import tarfile
from pathlib import Path

import pytest

import utils

SHARED_TGZ = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_sample.tgz"
ARCHIVE = Path(os.environ.get(utils.ARCHIVE_ENV, SHARED_TGZ))
needs_archive = pytest.mark.skipif(not ARCHIVE.is_file(),
                                  reason=f"no local MNIST archive at {ARCHIVE}")


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    "Fail loudly if any test here reaches fastai's downloader."
    import fastai.data.external as external
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to download")
    monkeypatch.setattr(external, "untar_data", refuse)


def leftovers(data_dir):
    return sorted(p.name for p in Path(data_dir).iterdir()) if Path(data_dir).exists() else []


@needs_archive
def test_extracts_the_archive_offline_then_returns_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv(utils.ARCHIVE_ENV, str(ARCHIVE))
    path = utils.mnist_sample_path(tmp_path)
    assert path == tmp_path / "mnist_sample"
    assert leftovers(tmp_path) == ["mnist_sample"]
    assert len(list((path / "train" / "3").glob("*.png"))) == 6131
    assert len(list((path / "valid" / "7").glob("*.png"))) == 1028
    # Second call: the archive is not even opened again.
    monkeypatch.setattr(utils, "_extract_archive", lambda *a: pytest.fail("extracted twice"))
    assert utils.mnist_sample_path(tmp_path) == path


def test_missing_archive_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(utils.ARCHIVE_ENV, str(tmp_path / "nowhere.tgz"))
    with pytest.raises(FileNotFoundError, match=r"not a file.*mnist_sample\.tgz"):
        utils.mnist_sample_path(tmp_path / "data")
    assert leftovers(tmp_path / "data") == []


def test_corrupt_archive_leaves_nothing_behind(tmp_path, monkeypatch):
    bad = tmp_path / "mnist_sample.tgz"
    bad.write_bytes(b"this is not a gzip file" * 100)
    monkeypatch.setenv(utils.ARCHIVE_ENV, str(bad))
    with pytest.raises(RuntimeError, match="not a readable .tgz archive"):
        utils.mnist_sample_path(tmp_path / "data")
    assert leftovers(tmp_path / "data") == []


@needs_archive
def test_truncated_archive_leaves_nothing_half_extracted(tmp_path, monkeypatch):
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(ARCHIVE.read_bytes()[: ARCHIVE.stat().st_size // 2])
    monkeypatch.setenv(utils.ARCHIVE_ENV, str(cut))
    with pytest.raises(RuntimeError, match="not a readable .tgz archive"):
        utils.mnist_sample_path(tmp_path / "data")
    assert leftovers(tmp_path / "data") == []


def test_archive_of_something_else_is_refused(tmp_path, monkeypatch):
    other = tmp_path / "other.tgz"
    with tarfile.open(other, "w:gz") as tar:
        info = tarfile.TarInfo("mnist_sample/readme.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    monkeypatch.setenv(utils.ARCHIVE_ENV, str(other))
    with pytest.raises(RuntimeError, match="does not hold the MNIST sample"):
        utils.mnist_sample_path(tmp_path / "data")
    assert leftovers(tmp_path / "data") == []


def test_failed_download_points_to_offline_use(tmp_path, monkeypatch):
    import fastai.data.external as external
    monkeypatch.delenv(utils.ARCHIVE_ENV, raising=False)
    def no_network(*args, **kwargs):
        raise ConnectionError("Name or service not known")
    monkeypatch.setattr(external, "untar_data", no_network)
    with pytest.raises(RuntimeError, match=rf"Could not download.*{utils.ARCHIVE_ENV}"):
        utils.mnist_sample_path(tmp_path)


def test_download_uses_fastais_real_path_into_the_data_folder(tmp_path, monkeypatch):
    import fastai.data.external as external
    monkeypatch.delenv(utils.ARCHIVE_ENV, raising=False)
    calls = []
    def fake_untar(url, **kwargs):
        calls.append((url, kwargs))
        return kwargs["data"] / "mnist_sample"
    monkeypatch.setattr(external, "untar_data", fake_untar)
    assert utils.mnist_sample_path(tmp_path) == tmp_path / "mnist_sample"
    assert calls[0][0] == external.URLs.MNIST_SAMPLE
    assert calls[0][1]["data"] == tmp_path


@pytest.mark.parametrize("has_filter", [True, False], ids=["python>=3.11.4", "older python"])
# Python 3.12 and later warn about extracting without a filter, which only older ones do.
@pytest.mark.filterwarnings("ignore:Python 3.14 will, by default, filter:DeprecationWarning")
def test_extraction_refuses_a_member_outside_the_folder(tmp_path, monkeypatch, has_filter):
    "Python before 3.11.4 has no extraction filter: the course checks members itself there."
    if not has_filter:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    good, bad = tmp_path / "good.tgz", tmp_path / "bad.tgz"
    for archive, name in [(good, "mnist_sample/labels.csv"), (bad, "../evil.txt")]:
        with tarfile.open(archive, "w:gz") as tar:
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    with tarfile.open(good) as tar:
        utils._safe_extract(tar, tmp_path / "out")
    assert (tmp_path / "out" / "mnist_sample" / "labels.csv").read_bytes() == b"x"
    with tarfile.open(bad) as tar, pytest.raises(tarfile.TarError):
        utils._safe_extract(tar, tmp_path / "out2")
    assert not (tmp_path / "evil.txt").exists()


@needs_archive
def test_two_processes_extracting_at_once_both_get_the_folder(tmp_path):
    "Two workers: the one that finishes second finds the folder in place, not an error."
    first = utils._extract_archive(ARCHIVE, tmp_path / "mnist_sample")
    second = utils._extract_archive(ARCHIVE, tmp_path / "mnist_sample")  # as if it had raced
    assert first == second == tmp_path / "mnist_sample"
    assert leftovers(tmp_path) == ["mnist_sample"]
