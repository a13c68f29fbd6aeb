"""Writes a tiny, randomly initialised French VITS model: ``config.json`` + ``model.pth``.

Run with the TTS virtualenv, not the project's (it imports coqui-tts)::

    .venv-tts/bin/python tests/tts_service/coqui_tiny_model.py DIRECTORY

No model can be downloaded where the tests run, so ``test_coqui_service.py``
serves this one. It speaks noise, but it goes through everything a trained
VITS does on its way to a WAV: config and checkpoint loading, the French
alphabet and cleaner, sentence splitting, inference with a duration predictor,
flow and waveform decoder. The sizes are cut to about 250,000 parameters (a
real VITS has some 36 million) so that it loads and speaks in well under a
second. The sample rate is 16 kHz, not VITS's usual 22,050 Hz, so that a test
can tell the server reports the model's rate instead of assuming one.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from TTS.tts.configs.shared_configs import CharactersConfig
from TTS.tts.configs.vits_config import VitsConfig
from TTS.tts.models.vits import Vits, VitsArgs

SAMPLE_RATE = 16000
LOWERCASE = "abcdefghijklmnopqrstuvwxyzàâæçéèêëîïôœùûüÿ"
PUNCTUATION = " !'(),-.:;?«»…"
SEED = 20261125


def tiny_french_vits_config() -> VitsConfig:
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="<PAD>",
        eos="<EOS>",
        bos="<BOS>",
        blank="<BLNK>",
        characters=LOWERCASE + LOWERCASE.upper(),
        punctuations=PUNCTUATION,
        phonemes="",
    )
    model_args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        upsample_initial_channel_decoder=16,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        spec_segment_size=8,
        use_sdp=False,  # the plain duration predictor: smaller, same inference path
        init_discriminator=False,  # only needed for training
    )
    config = VitsConfig(
        model_args=model_args,
        characters=characters,
        use_phonemes=False,  # letters, so that no phonemizer (espeak-ng) is needed
        text_cleaner="multilingual_cleaners",
        languages=["fr"],
        add_blank=True,
    )
    config.audio.sample_rate = SAMPLE_RATE
    return config


def write_tiny_model(directory: Path) -> None:
    torch.manual_seed(SEED)
    config = tiny_french_vits_config()
    model = Vits(config)
    directory.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict()}, directory / "model.pth")
    config.save_json(str(directory / "config.json"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} DIRECTORY")
    write_tiny_model(Path(sys.argv[1]))
