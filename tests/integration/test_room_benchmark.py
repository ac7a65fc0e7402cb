"""benchmarks/room.py --architecture sd15: SD 1.5's configs build SD 1.5's components (on the meta
device: shapes only, no 860M weights in memory), the pipeline saves as float16 safetensors, and
the profile it writes is read through GENLAB_MODELS_TOML."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("benchmark_room", REPO / "benchmarks" / "room.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sd15_configs_are_stable_diffusion_1_5(bench):
    c = bench.load_configs("sd15")
    unet, vae, text = c["unet"], c["vae"], c["text_encoder"]
    assert tuple(unet["block_out_channels"]) == (320, 640, 1280, 1280)
    assert (unet["cross_attention_dim"], unet["attention_head_dim"], unet["layers_per_block"], unet["sample_size"]) == (768, 8, 2, 64)
    assert unet["down_block_types"] == ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"]
    assert unet["up_block_types"] == ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3
    assert tuple(vae["block_out_channels"]) == (128, 256, 512, 512)
    assert (vae["latent_channels"], vae["scaling_factor"], vae["sample_size"]) == (4, 0.18215, 512)
    assert (text["hidden_size"], text["num_hidden_layers"], text["num_attention_heads"]) == (768, 12, 12)
    assert (text["intermediate_size"], text["max_position_embeddings"], text["hidden_act"]) == (3072, 77, "quick_gelu")
    assert c["scheduler"]["_class_name"] == "PNDMScheduler"
    assert bench.picture_size(c) == 512
    assert c["model_index"]["_class_name"] == "StableDiffusionPipeline"


def test_sd15_builds_sd15_components_with_sd15_parameter_counts(bench):
    parts = bench.build_components(bench.load_configs("sd15"), device="meta")
    kinds = {name: type(p).__name__ for name, p in parts.items() if p is not None}
    assert kinds == {
        "unet": "UNet2DConditionModel", "vae": "AutoencoderKL", "text_encoder": "CLIPTextModel",
        "tokenizer": "CLIPTokenizer", "scheduler": "PNDMScheduler",
    }
    assert parts["safety_checker"] is None and parts["feature_extractor"] is None
    assert tuple(parts["unet"].config.block_out_channels) == (320, 640, 1280, 1280)
    assert parts["unet"].config.cross_attention_dim == 768
    assert parts["vae"].config.scaling_factor == 0.18215
    te = parts["text_encoder"].config
    assert (te.hidden_size, te.num_hidden_layers, te.hidden_act) == (768, 12, "quick_gelu")
    assert len(parts["tokenizer"]) == te.vocab_size == 49408 and parts["tokenizer"].model_max_length == 77
    assert next(parts["unet"].parameters()).device.type == "meta"  # nothing allocated
    # the published SD 1.5 checkpoints' sizes, exactly
    assert bench.parameter_counts(parts) == {"unet": 859_520_964, "text_encoder": 123_060_480, "vae": 83_653_863}


@pytest.mark.filterwarnings("ignore:The configuration file of the unet has set the default `sample_size`:FutureWarning")
def test_tiny_config_pipeline_saves_as_float16_safetensors(bench, tmp_path):
    from safetensors import safe_open

    info = bench.build_random_pipeline("sd15", tmp_path / "model", tiny=True)
    assert info["architecture"] == "sd15" and info["tiny_config"]
    index = json.loads((tmp_path / "model" / "model_index.json").read_text())
    assert index["unet"] == ["diffusers", "UNet2DConditionModel"] and index["safety_checker"] == [None, None]
    with safe_open(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors", "pt") as f:
        assert str(f.get_tensor("conv_in.weight").dtype) == "torch.float16"
    assert (tmp_path / "model" / "tokenizer" / "tokenizer.json").exists()


def test_random_profile_is_read_through_genlab_models_toml(bench, tmp_path):
    toml = tmp_path / "models.toml"
    toml.write_text(bench.random_profile_toml(tmp_path / "model", 512, 20, 8, ["attention_slicing"]))
    code = (
        "from genlab import paths, profiles, room\n"
        "p = profiles.get_profile()\n"
        "print(paths.MODELS_TOML, p.name, p.dtype, p.room_batch, p.defaults, p.sizes, p.memory, p.source.path, "
        "room.room_batch(), 'tiny' in profiles.all_profiles())\n"
    )
    env = dict(os.environ, GENLAB_MODELS_TOML=str(toml), GENLAB_PROFILE=bench.RANDOM_PROFILE, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert out[0] == str(toml)
    assert out[1].strip() == (
        f"sd15-random float16 8 {{'steps': 20, 'guidance': 7.5, 'width': 512, 'height': 512}} ((512, 512),) "
        f"('attention_slicing',) {tmp_path / 'model'} 8 True"
    )


def test_without_genlab_models_toml_the_shipped_profiles_are_read():
    env = {k: v for k, v in os.environ.items() if k != "GENLAB_MODELS_TOML"}
    out = subprocess.run([sys.executable, "-c", "from genlab import paths; print(paths.MODELS_TOML)"],
                         env=dict(env, PYTHONPATH=str(REPO)), capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(Path(os.environ.get("GENLAB_ASSETS", REPO / "assets")) / "models.toml")
