"""Profiles are data; the doctor's recommendation follows the machine."""

import pytest

from genlab.core.hardware import Hardware, fits, recommend
from genlab.core.profiles import ProfileError, all_profiles, get_profile

REQUIRED = {"tiny", "tiny-video", "sd-turbo", "sd15", "sdxl", "animatediff"}


def test_models_toml_has_the_documented_profiles():
    profiles = all_profiles()
    assert REQUIRED <= set(profiles)
    assert {"ltx-video", "wan21-1.3b"} & set(profiles), "one modern text-to-video profile"
    for p in profiles.values():
        assert p.licence, f"{p.name} must state its licence"
        assert p.source is not None or p.base, p.name
        if p.source is not None and p.source.repo:
            assert p.source.revision, f"{p.name} must pin a revision"
            assert p.download_gb > 0
        assert p.defaults.get("steps") and p.sizes


def test_tiny_is_shipped_and_default(monkeypatch):
    monkeypatch.delenv("GENLAB_PROFILE", raising=False)
    tiny = get_profile()
    assert tiny.name == "tiny" and tiny.shipped
    assert (tiny.source.path / "model_index.json").exists()
    assert get_profile(video=True).name == "tiny-video"


def test_unknown_profile_error_lists_choices():
    with pytest.raises(ProfileError) as err:
        get_profile("sd99")
    assert "sd15" in str(err.value) and "genlab doctor" in str(err.value)


def test_check_size_refuses_untrained_sizes():
    with pytest.raises(ProfileError, match="128x128"):
        get_profile("tiny").check_size(512, 512)
    get_profile("tiny").check_size(128, 128)


def cuda(gb):
    return Hardware(device="cuda", gpu_name="NVIDIA Test", vram_gb=gb, ram_gb=32, free_disk_gb=100, cpu_count=8)


@pytest.mark.parametrize(
    "hw, image, video",
    [
        (cuda(4), "sd-turbo", "tiny-video"),
        (cuda(6), "sd15", "tiny-video"),
        (cuda(12), "sd15", "animatediff"),
        (cuda(24), "sdxl", "ltx-video"),
        (cuda(80), "sdxl", "ltx-video"),
        (Hardware(device="mps", gpu_name="Apple M2", vram_gb=9.6, ram_gb=16), "sd-turbo", "tiny-video"),
        (Hardware(device="cpu", ram_gb=8, cpu_count=2), "tiny", "tiny-video"),
    ],
    ids=["cuda-4GB", "cuda-6GB", "cuda-12GB", "cuda-24GB", "cuda-80GB", "mps", "cpu"],
)
def test_recommendation(hw, image, video):
    name, why = recommend(hw)
    assert name == image
    assert why and ("GB" in why or "GPU" in why)
    assert recommend(hw, video=True)[0] == video


def test_cpu_never_gets_gpu_only_profiles():
    cpu = Hardware(device="cpu")
    assert not fits(get_profile("sd15"), cpu)
    assert fits(get_profile("tiny"), cpu)


def test_doctor_runs_and_reports_tiny_ready():
    import genlab

    report = genlab.doctor()
    text = str(report)
    assert report.recommended in all_profiles()
    assert "ready    tiny" in text
    assert "genlab fetch sd15" in text
    assert report.versions["torch"] != "not installed"
