"""The real-model loading path, offline: Hub repos resolved from the local cache, missing ones fail fast."""

import shutil
import socket

import numpy as np
import pytest

import genlab
from genlab.core import pipelines
from genlab.core.profiles import all_profiles, get_profile
from genlab.settings import REPO_ROOT

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("genlab tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def test_missing_hub_model_fails_fast_with_the_fetch_command(no_network, empty_hub_cache):
    """Fails before any network use (no_network would raise) and before loading anything heavy;
    how long it takes is printed by benchmarks/missing_model.py."""
    with pytest.raises(genlab.ModelNotFoundError) as err:
        pipelines.load_pipeline("txt2img", "sd15")
    message = str(err.value)
    assert "genlab fetch sd15" in message and "stable-diffusion-v1-5" in message
    assert "GENLAB_PROFILE=tiny" in message


def test_fetch_refuses_when_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="HF_HUB_OFFLINE"):
        pipelines.fetch("sd15")


def test_cli_prints_the_hint_not_a_traceback(no_network, empty_hub_cache, capsys, monkeypatch):
    from genlab.cli import main

    monkeypatch.setenv("GENLAB_PROFILE", "sd15")
    assert main(["generate", "a cat"]) == 2
    assert "genlab fetch sd15" in capsys.readouterr().err


def test_hub_profile_loads_from_the_local_cache(no_network, empty_hub_cache, tmp_path):
    """A Hub profile loads through from_pretrained of the cached snapshot (laid out as the Hub does)."""
    snapshot = empty_hub_cache / "models--genlab-test--tiny-sd" / "snapshots" / SHA
    shutil.copytree(REPO_ROOT / "assets/models/tiny-shapes", snapshot)
    toml = tmp_path / "models.toml"
    toml.write_text(
        f"""
[profiles.cached]
title = "tiny, as if fetched from the Hub"
tasks = ["txt2img", "img2img"]
repo = "genlab-test/tiny-sd"
revision = "{SHA}"
dtype = "float16"
memory = ["attention_slicing", "vae_tiling", "model_cpu_offload"]
licence = "test"
download_gb = 0.02
defaults = {{ steps = 4, guidance = 7.0, width = 128, height = 128 }}
sizes = [[128, 128]]
"""
    )
    profile = all_profiles(toml)["cached"]
    assert pipelines.model_present(profile)
    pipe = pipelines.load_pipeline("txt2img", profile, device="cpu")
    assert type(pipe).__name__ == "StableDiffusionPipeline"
    assert str(pipe.unet.dtype) == "torch.float32"  # the CPU always runs float32
    out = genlab.generate("a red circle", seed=9, profile=profile, device="cpu")
    assert out.recipe.model == "genlab-test/tiny-sd" and out.recipe.model_revision == SHA
    shipped = genlab.generate("a red circle", seed=9, steps=4, profile="tiny")
    # Same weights, same seed: the same picture. Attention slicing reorders float sums, so allow
    # last-bit differences but nothing a person could see.
    diff = np.abs(np.asarray(out.image).astype(int) - np.asarray(shipped.image).astype(int))
    assert diff.mean() < 0.5 and diff.max() <= 8
    img2img = pipelines.load_pipeline("img2img", profile, device="cpu")
    assert img2img.unet is pipe.unet, "tasks of one profile share weights (from_pipe)"


def test_task_the_profile_cannot_do():
    from genlab.core.profiles import ProfileError

    with pytest.raises(ProfileError, match="cannot do video"):
        pipelines.load_pipeline("video", get_profile("tiny"))


def test_fetch_downloads_the_pinned_revision_and_says_which_commit(monkeypatch, tmp_path, capsys):
    """`genlab fetch` asks huggingface_hub for exactly the profile's repo and revision (no real download here)."""
    import huggingface_hub

    calls = []

    def fake_snapshot_download(repo_id, revision, allow_patterns):
        calls.append((repo_id, revision, tuple(allow_patterns)))
        folder = tmp_path / repo_id.replace("/", "--") / SHA
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    folders = pipelines.fetch("sd15")
    assert calls == [("stable-diffusion-v1-5/stable-diffusion-v1-5", "main",
                      ("model_index.json", "*/*.json", "*/*.txt", "*/*.model", "*/*.fp16.safetensors"))]
    assert folders[0].name == SHA
    assert f'revision = "{SHA}"' in capsys.readouterr().out

    calls.clear()
    pipelines.fetch("animatediff")  # a motion adapter (repo root files) on top of sd15's pipeline
    assert [c[0] for c in calls] == ["guoyww/animatediff-motion-adapter-v1-5-3", "stable-diffusion-v1-5/stable-diffusion-v1-5"]
    assert calls[0][2] == ("*.json", "*.safetensors")
