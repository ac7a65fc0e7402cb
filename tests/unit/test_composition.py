"""Composition control (genlab.core.composition): drawings in, ControlNet pictures out, recipes that
A1111 reads, the real profiles' ControlNets loaded offline from the Hub cache, clear errors."""

import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

import genlab
from genlab.core import composition, pipelines
from genlab.core.i18n import UserError
from genlab.core.profiles import all_profiles, get_profile
from genlab.core.recipe import Recipe, read_recipe
from genlab.settings import MODELS_DIR, REPO_ROOT
from genlab.tiny import control as world_control

SHA = "89abcdef0123456789abcdef0123456789abcdef"
CONTROLNET = MODELS_DIR / "tiny-shapes-controlnet"


def sketch(shape="circle", geometry=(0.3, 0.35, 0.4), condition="sketch") -> tuple[Image.Image, world_control.ControlExample]:
    ex = world_control.ControlExample(
        scene=world_control.world.Scene((world_control.world.Shape(shape, "red", "large", "centre", "flat"),), "blue"),
        geometry=geometry, condition=condition)
    return world_control.draw(ex), ex


# ---- the profiles' data ------------------------------------------------------------------------
def test_profiles_list_their_controlnets():
    tiny, sd15, sdxl = get_profile("tiny"), get_profile("sd15"), get_profile("sdxl")
    assert set(tiny.controls) == {"sketch", "layout"} and tiny.controls["sketch"].source.path == CONTROLNET
    assert {"canny", "scribble", "depth"} <= set(sd15.controls) and "canny" in sdxl.controls
    assert sd15.controls["canny"].source.repo == "lllyasviel/control_v11p_sd15_canny"
    for prof in (sd15, sdxl):
        for c in prof.controls.values():
            assert c.licence and c.download_gb > 0 and c.input in ("drawing", "edges", "map")
    assert tiny.shipped, "the tiny ControlNet ships with genlab"


def test_unknown_condition_says_what_the_profile_offers():
    with pytest.raises(UserError) as err:
        composition.control_model(get_profile("tiny"), "depth")
    assert "sketch" in str(err.value) and "layout" in str(err.value)
    assert "Ofrece" in err.value.message("es")
    with pytest.raises(UserError, match="no composition control"):
        composition.control_model(get_profile("sd-turbo"), "canny")


# ---- preparing what a person hands in ----------------------------------------------------------
def test_a_drawing_becomes_white_strokes_on_black():
    drawing, _ = sketch()
    ctl = composition.prepare_control(drawing, get_profile("tiny").controls["sketch"], 128, 128)
    arr = np.asarray(ctl)
    assert ctl.mode == "RGB" and ctl.size == (128, 128)
    assert set(np.unique(arr)) == {0, 255}
    assert (arr[..., 0] == 255).mean() < 0.15  # strokes only
    assert np.array_equal(arr[..., 0], np.asarray(world_control.control_image(drawing))[..., 0]), "what the model was trained on"


def test_transparent_drawing_page_counts_as_white_paper():
    page = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(page).rectangle((40, 40, 200, 200), outline=(0, 0, 0, 255), width=6)
    ctl = composition.prepare_control(page, get_profile("tiny").controls["layout"], 128, 128)
    lit = np.asarray(ctl)[..., 0] == 255
    assert 0.02 < lit.mean() < 0.2


@pytest.mark.parametrize("page", [Image.new("RGB", (128, 128), "white"), Image.new("RGBA", (300, 200), (0, 0, 0, 0))])
def test_an_empty_drawing_is_refused_with_what_to_do(page):
    with pytest.raises(UserError) as err:
        composition.prepare_control(page, get_profile("tiny").controls["sketch"], 128, 128)
    assert "empty" in str(err.value) and "vacío" in err.value.message("es")


def test_edges_of_a_picture_and_bad_uploads(tmp_path):
    picture = world_control.render(sketch()[1])
    canny = get_profile("sd15").controls["canny"]
    edges = np.asarray(composition.prepare_control(picture, canny, 128, 128))[..., 0] == 255
    assert 0.01 < edges.mean() < 0.2
    assert not edges[0].any() and not edges[:, 0].any(), "the frame's border is not an edge"
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(UserError, match="not a picture"):
        composition.prepare_control(str(tmp_path / "notes.txt"), canny, 128, 128)
    with pytest.raises(UserError, match="No edges"):
        composition.prepare_control(Image.new("RGB", (64, 64), (30, 80, 220)), canny, 128, 128)


@pytest.mark.parametrize("kwargs, words", [({"start": 0.6, "end": 0.4}, "start"), ({"strength": 3.0}, "from 0 to 2")])
def test_control_settings_are_checked(kwargs, words):
    with pytest.raises(UserError, match=words):
        composition.make_control(get_profile("tiny"), sketch()[0], "sketch", 128, 128, **kwargs)


# ---- recipes: genlab's and A1111's "ControlNet 0" ----------------------------------------------
def test_recipe_writes_the_controlnet_unit_as_a1111_does_and_reads_it_back():
    control = {"condition": "sketch", "model": "tiny-shapes-controlnet", "scale": 0.8, "start": 0.0, "end": 0.6,
               "image_sha256": "d14c016b" + "0" * 56}
    text = Recipe(prompt="a red circle", seed=1, steps=20, guidance=7.0, width=128, height=128, model="tiny-shapes",
                  control=control).to_parameters()
    assert ('ControlNet 0: "Module: none, Model: tiny-shapes-controlnet [d14c016b], Weight: 0.8, Resize Mode: Crop and Resize, '
            'Guidance Start: 0.0, Guidance End: 0.6, Pixel Perfect: False, Control Mode: Balanced, genlab condition: sketch"') in text
    back = Recipe.from_parameters(text).control
    assert back == {"model": "tiny-shapes-controlnet", "scale": 0.8, "start": 0.0, "end": 0.6, "module": "none",
                    "image_sha256_prefix": "d14c016b", "condition": "sketch"}


def test_a_unit_written_by_a1111_is_read():
    text = ('a house\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model: v1-5, '
            'ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1, Resize Mode: Crop and Resize, '
            'Low Vram: False, Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0, Guidance End: 1, '
            'Pixel Perfect: False, Control Mode: Balanced", Version: v1.6.0')
    r = Recipe.from_parameters(text)
    assert r.control["model"] == "control_v11p_sd15_canny" and r.control["module"] == "canny"
    assert (r.control["scale"], r.control["start"], r.control["end"]) == (1.0, 0.0, 1.0)


# ---- pictures with the shipped tiny ControlNet -------------------------------------------------
@pytest.mark.parametrize("condition, geometry", [("sketch", (0.3, 0.35, 0.4)), ("layout", (0.68, 0.62, 0.5))])
def test_the_object_lands_where_it_was_drawn(condition, geometry, tmp_path):
    drawing, ex = sketch("circle", geometry, condition)
    out = genlab.generate("a red circle on a blue background", control=drawing, condition=condition, seed=4, profile="tiny")
    assert world_control.adherence(ex, out.image) >= 0.75
    plain = genlab.generate("a red circle on a blue background", seed=4, profile="tiny")
    assert world_control.adherence(ex, plain.image) < 0.6, "without the drawing the circle is elsewhere (the test means something)"
    rec = out.recipe
    assert rec.task == "txt2img" and rec.control["condition"] == condition and rec.control["model"] == "tiny-shapes-controlnet"
    assert rec.control["image_sha256"] == composition.picture_sha256(composition.drawing_to_control(drawing, 128, 128))
    saved = out.save(tmp_path / "c.png")[0]
    assert read_recipe(saved).control == rec.control
    again = genlab.regenerate(saved, control=drawing)
    assert np.array_equal(np.asarray(again.image), np.asarray(out.image))
    with pytest.raises(ValueError, match="control drawing"):
        genlab.regenerate(saved)
    with pytest.raises(ValueError, match="SHA-256"):
        genlab.regenerate(saved, control=sketch("square", (0.7, 0.7, 0.3), condition)[0])


def test_strength_zero_is_the_plain_picture_and_control_cannot_mix_with_edits():
    drawing, _ = sketch()
    off = genlab.generate("a red circle on a blue background", control=drawing, condition="sketch", control_strength=0.0, seed=4)
    plain = genlab.generate("a red circle on a blue background", seed=4)
    diff = np.abs(np.asarray(off.image).astype(int) - np.asarray(plain.image).astype(int))
    assert diff.max() <= 2, "a ControlNet at strength 0 adds nothing"
    with pytest.raises(ValueError, match="leave out image"):
        genlab.generate("a red circle", control=drawing, condition="sketch", image=plain.image)


# ---- the real-profile path, offline: ControlNets from the Hub cache ----------------------------
@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def _cached(hub: "Path", repo: str, folder) -> None:  # noqa: F821
    snap = hub / f"models--{repo.replace('/', '--')}" / "snapshots" / SHA
    shutil.copytree(folder, snap)
    (hub / f"models--{repo.replace('/', '--')}" / "refs").mkdir(parents=True)
    (hub / f"models--{repo.replace('/', '--')}" / "refs" / "main").write_text(SHA)


def test_a_hub_profile_loads_its_controlnet_from_the_cache_and_says_how_to_fetch_a_missing_one(hub_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _cached(hub_cache, "genlab-test/sd-like", REPO_ROOT / "assets/models/tiny-shapes")
    _cached(hub_cache, "genlab-test/controlnet-scribble", CONTROLNET)
    toml = tmp_path / "models.toml"
    toml.write_text(f"""
[profiles.cached]
title = "as if fetched"
tasks = ["txt2img"]
repo = "genlab-test/sd-like"
revision = "{SHA}"
licence = "test"
download_gb = 0.1
defaults = {{ steps = 6, guidance = 7.0, width = 128, height = 128 }}
sizes = [[128, 128]]

[profiles.cached.controls.scribble]
repo = "genlab-test/controlnet-scribble"
revision = "{SHA}"
input = "drawing"
licence = "test"
download_gb = 0.01

[profiles.cached.controls.depth]
repo = "genlab-test/controlnet-depth"
revision = "{SHA}"
input = "map"
licence = "test"
download_gb = 0.01
""")
    prof = all_profiles(toml)["cached"]
    pipe = pipelines.control_pipeline(prof, "scribble", device="cpu")
    assert type(pipe).__name__ == "StableDiffusionControlNetPipeline"
    assert pipe.unet is pipelines.load_pipeline("txt2img", prof, device="cpu").unet, "shares the profile's weights"
    out = genlab.generate("a red circle on a blue background", control=sketch()[0], condition="scribble", profile=prof, seed=2, device="cpu")
    assert out.recipe.control["model_source"] == f"genlab-test/controlnet-scribble@{SHA}"
    assert out.recipe.control["model"] == "controlnet-scribble"
    with pytest.raises(genlab.ModelNotFoundError) as err:
        pipelines.control_pipeline(prof, "depth", device="cpu")
    assert "genlab-test/controlnet-depth" in str(err.value)
    pipelines.clear_cache()


# ---- IP-Adapter (a brand reference picture), offline -------------------------------------------
def _small_ip_adapter(root, unet):
    """IP-Adapter files laid out as h94/IP-Adapter (models/<weights>, models/image_encoder), sized for
    the tiny UNet: a small CLIP vision encoder, the image projection (4 tokens) and to_k_ip / to_v_ip
    for every cross-attention layer, random weights."""
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, intermediate_size=37, projection_dim=32, num_hidden_layers=2,
                                                   num_attention_heads=2, image_size=32, patch_size=8)).save_pretrained(root / "models" / "image_encoder")
    cross = unet.config.cross_attention_dim
    sd = {"image_proj.proj.weight": torch.randn(cross * 4, 32) * 0.5, "image_proj.proj.bias": torch.zeros(cross * 4),
          "image_proj.norm.weight": torch.ones(cross), "image_proj.norm.bias": torch.zeros(cross)}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        blocks = unet.config.block_out_channels
        hidden = (blocks[-1] if name.startswith("mid_block") else
                  list(reversed(blocks))[int(name[len("up_blocks.")])] if name.startswith("up_blocks") else blocks[int(name[len("down_blocks.")])])
        sd[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross) * 0.5
        sd[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross) * 0.5
        key_id += 2
    save_file(sd, str(root / "models" / "ip-adapter_test.safetensors"))


def test_a_reference_picture_steers_the_picture_through_the_ip_adapter_and_leaves_plain_pictures_alone(hub_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    base_pipe = pipelines.load_pipeline("txt2img", "tiny", device="cpu")
    snap = hub_cache / "models--genlab-test--ip-adapter" / "snapshots" / SHA
    _small_ip_adapter(snap, base_pipe.unet)
    (hub_cache / "models--genlab-test--ip-adapter" / "refs").mkdir(parents=True)
    (hub_cache / "models--genlab-test--ip-adapter" / "refs" / "main").write_text(SHA)
    toml = tmp_path / "models.toml"
    toml.write_text(f"""
[profiles.ref]
title = "tiny with an IP-Adapter"
tasks = ["txt2img"]
path = "{REPO_ROOT / 'assets/models/tiny-shapes'}"
licence = "test"
defaults = {{ steps = 6, guidance = 7.0, width = 128, height = 128 }}
sizes = [[128, 128]]

[profiles.ref.ip_adapter]
repo = "genlab-test/ip-adapter"
revision = "{SHA}"
subfolder = "models"
weight_name = "ip-adapter_test.safetensors"
image_encoder = "models/image_encoder"
licence = "Apache-2.0"
download_gb = 0.01
""")
    prof = all_profiles(toml)["ref"]
    plain = genlab.generate("a red circle on a blue background", seed=3, profile=prof, device="cpu")
    brand = Image.new("RGB", (96, 96), (245, 135, 20))
    steered = genlab.generate("a red circle on a blue background", seed=3, profile=prof, device="cpu", reference=brand, reference_strength=1.0)
    off = genlab.generate("a red circle on a blue background", seed=3, profile=prof, device="cpu", reference=brand, reference_strength=0.0)
    again = genlab.generate("a red circle on a blue background", seed=3, profile=prof, device="cpu")
    a, b, c, d = (np.asarray(x.image).astype(int) for x in (plain, steered, off, again))
    assert np.abs(a - b).mean() > 2, "the reference changes the picture"
    assert np.abs(a - c).max() <= 2, "at strength 0 the adapter adds nothing"
    assert np.array_equal(a, d), "pictures without a reference are untouched (the adapter has its own UNet copy)"
    rec = steered.recipe
    assert rec.reference == {"model": "ip-adapter_test", "model_source": f"genlab-test/ip-adapter@{SHA}", "scale": 1.0,
                             "image_sha256": composition.picture_sha256(brand)}
    assert 'ControlNet 0: "Module: ip-adapter_clip, Model: ip-adapter_test [' in rec.to_parameters()
    assert Recipe.from_parameters(rec.to_parameters()).reference["model"] == "ip-adapter_test"
    with pytest.raises(UserError, match="no IP-Adapter"):
        genlab.generate("a red circle", reference=brand, profile="tiny")
    with pytest.raises(ValueError, match="without a control drawing"):
        genlab.generate("a red circle", reference=brand, image=plain.image, profile=prof, device="cpu")
    pipelines.clear_cache()
