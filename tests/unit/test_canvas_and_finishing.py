"""Outpainting to social formats (genlab.core.canvas) and finishing (genlab.core.finishing):
exact ratios, the original kept, print pixels, CMYK and sRGB files with their ICC profile, names."""

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

import genlab
from genlab.core import canvas, finishing
from genlab.core.i18n import UserError


@pytest.mark.parametrize("ratio, size", [("16:9", (224, 126)), ("9:16", (126, 224)), ("4:5", (128, 160)),
                                          ("3x2", (192, 128)), ((2, 3), (128, 192))])
def test_canvas_sizes_have_the_exact_ratio(ratio, size):
    w, h = canvas.canvas_size(128, 128, ratio)
    assert (w, h) == size
    rw, rh = canvas.parse_ratio(ratio)
    assert w * rh == h * rw


def test_windows_cover_the_canvas_outwards_with_half_overlap():
    assert canvas.windows((48, 176), 224, 128) == [0, 96]
    starts = canvas.windows((256, 768), 1024 + 512, 512)
    covered = np.zeros(1536, bool)
    covered[256:768] = True
    for s in starts:
        assert covered[s : s + 512].sum() >= 256, "each window sees at least half a window of known picture"
        covered[s : s + 512] = True
    assert covered.all()


@pytest.mark.parametrize("bad", ["wide", "16:0", "0:9", "1000:9"])
def test_bad_ratio_says_how_to_write_one(bad):
    with pytest.raises(UserError) as err:
        canvas.parse_ratio(bad)
    assert "16:9" in str(err.value) and "ancho:alto" in err.value.message("es")


def test_outpainting_to_16_9_really_widens_the_picture_and_keeps_the_original():
    src = genlab.generate("a red circle on a blue background", seed=3, steps=8).image
    out = genlab.outpaint(src, "16:9", "a blue background", seed=5, steps=8)
    assert out.image.size == (224, 126) and 224 * 9 == 126 * 16
    got = np.asarray(out.image)[:, 48:176]
    assert np.array_equal(got, np.asarray(src)[1:127]), "the original's pixels are kept exactly"
    sides = np.concatenate([np.asarray(out.image)[:, :40], np.asarray(out.image)[:, -40:]], axis=1).reshape(-1, 3)
    assert np.abs(sides.mean(0) - np.asarray(src)[:, :8].reshape(-1, 3).mean(0)).max() < 40, "the new sides continue the background"
    rec = out.recipe
    assert rec.task == "outpaint" and (rec.width, rec.height) == (224, 126)
    assert rec.extra["outpaint"]["ratio"] == "16:9" and rec.extra["outpaint"]["windows"] == [0, 96]
    with pytest.raises(UserError, match="own size"):
        genlab.outpaint(src.resize((100, 100)), "16:9", "a blue background")
    with pytest.raises(UserError, match="nothing to add"):
        genlab.outpaint(src, "1:1", "a blue background")


def test_print_pixels_at_300_dpi():
    assert finishing.print_pixels(21.0, 29.7) == (2480, 3508)  # A4
    assert finishing.print_pixels(10, 15, dpi=150) == (591, 886)
    with pytest.raises(UserError, match="positive"):
        finishing.print_pixels(-1, 10)
    with pytest.raises(UserError, match="dpi"):
        finishing.print_pixels(200, 300)


@pytest.mark.parametrize("name", ["poster.tif", "poster.jpg"])
def test_cmyk_export_opens_as_cmyk_with_the_icc_profile_embedded(tmp_path, name):
    src = Image.new("RGB", (64, 64), (220, 30, 30))
    path = finishing.export_print(src, tmp_path / name, colour="cmyk", width_cm=5)
    img = Image.open(path)
    assert img.mode == "CMYK" and img.size == (591, 591)
    assert tuple(round(v) for v in img.info["dpi"]) == (300, 300)
    profile = ImageCms.getOpenProfile(io.BytesIO(img.info["icc_profile"]))
    assert profile.profile.xcolor_space.strip() == "CMYK" and "FOGRA39" in ImageCms.getProfileDescription(profile)
    c, m, y, k = img.getpixel((10, 10))
    assert m > 200 and y > 200 and c < 30, "red is magenta + yellow"


def test_srgb_export_and_wrong_formats(tmp_path):
    path = finishing.export_print(Image.new("RGB", (32, 32), "white"), tmp_path / "web.png", colour="srgb")
    img = Image.open(path)
    assert img.mode == "RGB" and "sRGB" in ImageCms.getProfileDescription(ImageCms.getOpenProfile(io.BytesIO(img.info["icc_profile"])))
    with pytest.raises(UserError, match="cannot be saved"):
        finishing.export_print(img, tmp_path / "x.png", colour="cmyk")
    with pytest.raises(UserError, match="not a CMYK"):
        finishing.export_print(img, tmp_path / "x.tif", colour="cmyk", icc=finishing.SRGB_ICC)


def test_upscale_and_hires_fix_on_the_tiny_model():
    src = genlab.generate("a red circle on a blue background", seed=3, steps=6).image
    assert genlab.upscale(src, 4).size == (512, 512)
    with pytest.raises(UserError, match="no hires fix"):
        genlab.upscale(src, 2, hires_fix=True, prompt="a red circle", profile="tiny")
    with pytest.raises(UserError, match="2, 3, 4"):
        genlab.upscale(src, 8)


def test_handoff_names():
    assert genlab.handoff_name("Café Ñandú", "Día de Muertos 2026", "Banner web", size="16:9", version=3) == \
        "cafe-nandu_dia-de-muertos-2026_banner-web_16x9_v03.png"
    assert genlab.handoff_name("ACME", "Q1", "Cartel", size="A4", colour="CMYK", ext=".TIF") == "acme_q1_cartel_a4_cmyk_v01.tif"
    with pytest.raises(UserError):
        genlab.handoff_name("", "x", "y")


# ---- the diffusion upscaler's load path, offline -----------------------------------------------
def _small_x4_upscaler(folder):
    """A StableDiffusionUpscalePipeline with the x4 upscaler's layout (7 input channels: latents +
    the low-resolution picture; noise level as a class embedding; f4 VAE; v-prediction), scaled down
    to run in seconds, random weights, the tiny model's CLIP tokenizer."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, DDPMScheduler, StableDiffusionUpscalePipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from genlab.settings import MODELS_DIR

    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=(32, 32, 64), layers_per_block=1, sample_size=32, in_channels=7, out_channels=4,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
                                attention_head_dim=8, use_linear_projection=True, only_cross_attention=(True, True, False),
                                num_class_embeds=351)
    vae = AutoencoderKL(block_out_channels=[32, 32, 64], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3, scaling_factor=0.08333)
    te = CLIPTextModel(CLIPTextConfig(hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
                                      vocab_size=49408, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407))
    pipe = StableDiffusionUpscalePipeline(unet=unet, low_res_scheduler=DDPMScheduler(), scheduler=DDIMScheduler(prediction_type="v_prediction"),
                                          vae=vae, text_encoder=te, tokenizer=CLIPTokenizer.from_pretrained(MODELS_DIR / "tiny-shapes" / "tokenizer"),
                                          max_noise_level=350)
    pipe.save_pretrained(folder)


def test_the_diffusion_upscaler_loads_from_the_hub_cache_and_draws_4x(tmp_path, monkeypatch):
    import huggingface_hub.constants as c

    from genlab.core import pipelines
    from genlab.core.profiles import all_profiles
    from genlab.settings import REPO_ROOT

    sha = "fedcba9876543210fedcba9876543210fedcba98"
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo_dir = tmp_path / "hub" / "models--genlab-test--x4-upscaler"
    _small_x4_upscaler(repo_dir / "snapshots" / sha)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(sha)
    toml = tmp_path / "models.toml"
    toml.write_text(f"""
[profiles.up]
title = "with an upscaler"
tasks = ["txt2img"]
path = "{REPO_ROOT / 'assets/models/tiny-shapes'}"
licence = "test"
defaults = {{ steps = 4, guidance = 7.0, width = 128, height = 128 }}
upscaler = {{ repo = "genlab-test/x4-upscaler", revision = "{sha}" }}

[profiles.none]
title = "without"
tasks = ["txt2img"]
path = "{REPO_ROOT / 'assets/models/tiny-shapes'}"
licence = "test"
""")
    profs = all_profiles(toml)
    small = Image.new("RGB", (32, 32), (220, 30, 30))
    big = genlab.upscale(small, 4, model=True, prompt="a red square", steps=2, profile=profs["up"], device="cpu")
    assert big.size == (128, 128) and big.mode == "RGB"
    assert type(pipelines.upscaler_pipeline(profs["up"], device="cpu")).__name__ == "StableDiffusionUpscalePipeline"
    with pytest.raises(UserError, match="4 times"):
        genlab.upscale(small, 2, model=True, profile=profs["up"], device="cpu")
    with pytest.raises(UserError, match="no diffusion upscaler"):
        genlab.upscale(small, 4, model=True, profile=profs["none"], device="cpu")
    pipelines.clear_cache()
