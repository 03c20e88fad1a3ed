"""Embeddings from pretrained speech encoders, as sersk feature transformers.

- :class:`WhisperEncoderEmbedding`: the encoder of a Whisper model in CTranslate2 format
  (``pip install "sersk[whisper]"``).
- :class:`Wav2Vec2Embedding`: wav2vec 2.0, HuBERT, WavLM and data2vec-audio models from
  Hugging Face transformers (``pip install "sersk[wav2vec2]"``).

Both are :class:`~sersk.features.FrameFeatureTransformer` subclasses: audio in, the encoder's
frames over the audio (cached per clip with ``memory=``) pooled into one vector per clip, ready
for a scaler and a classifier or a ``FeatureUnion`` with the handcrafted features. Importing
this package is light: ctranslate2, torch and transformers are imported when a model is first
loaded.
"""

from ._base import ModelNotFoundError, model_fingerprint
from ._wav2vec2 import Wav2Vec2Embedding, wav2vec2_frames
from ._whisper import WhisperEncoderEmbedding, whisper_encoder_frames, whisper_log_mel

__all__ = [
    "ModelNotFoundError",
    "Wav2Vec2Embedding",
    "WhisperEncoderEmbedding",
    "model_fingerprint",
    "wav2vec2_frames",
    "whisper_encoder_frames",
    "whisper_log_mel",
]
