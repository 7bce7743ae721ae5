"""Export a sentence-transformers BERT folder to one ONNX file that computes sentence vectors.

Maintainer-time only (`scripts/build_index.py` calls it): it imports torch, transformers and
the ONNX tools, which the running bot never does. The graph takes `ids`, `mask` and `types`
(int64, batch x length) and returns mean-pooled, L2-normalised vectors, so the bot needs only
onnxruntime and the tokenizer to answer.

Two steps, measured on the 2-core machine (batches of 24 questions, time per question):
1. `torch.onnx.export` of transformers' `BertModel` with eager attention: the same vectors as
   sentence-transformers within 4e-7; 5.0 ms against 6.5 ms for PyTorch.
2. onnxruntime's BERT optimizer fuses attention, LayerNorm and GELU: 4.6 ms. It recognises
   the graph that transformers' eager attention exports, which is why step 1 uses it.

Int8 is left out of the question path: dynamic quantisation (3.3 ms) scales each batch's
activations together, so a question's vector depended on who else was asking at that moment
(cosine down to 0.954 between alone and in a batch); weight-only 8-bit (MatMulNBits) was
slower than float. The message checker uses it (`quantize_encoder`), running every text in a
pass of its own so that its vector depends on the text alone: 9.1 ms against 19.8 ms of CPU
per message's pieces, cosine to the float vectors 0.990 on average (lowest 0.975).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

INPUT_NAMES = ("ids", "mask", "types")
# Bump when the exported graph changes, so indexes rebuild their encoder.
EXPORT_VERSION = 1
# Bump when the quantisation changes (its file name carries it).
QUANTIZE_VERSION = 1
# Metadata of an encoder whose vectors depend on the batch: the bot runs it one text per pass.
ONE_TEXT_PER_PASS = "scamwise.one_text_per_pass"


def export_encoder(folder: Path, dest: Path) -> None:
    """Write the ONNX encoder of model `folder` to `dest` (atomically: temp file, rename)."""
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        config = _export_raw(folder, raw)
        _fuse(raw, fused, config)
        os.replace(fused, dest)


def quantize_encoder(src: Path, dest: Path) -> None:
    """Write an int8 copy of encoder `src` to `dest` (atomically): weights per channel, the
    activations' scale found per pass (ONNX Runtime's dynamic quantisation)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".quantize-") as tmp:
        out = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            src, out, weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )  # fmt: skip
        model = onnx.load(out)
        onnx.helper.set_model_props(model, {ONE_TEXT_PER_PASS: "1"})  # read by bot.search.bert
        onnx.save(model, out)
        os.replace(out, dest)


def _export_raw(folder: Path, out: Path) -> Any:
    """Trace BertModel plus mean pooling and normalisation; return the model's config."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            hidden = self.bert(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "length"} for name in INPUT_NAMES}
    with warnings.catch_warnings(), torch.inference_mode():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; the graph it writes is the one onnxruntime's BERT fusions recognise.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(),
            (example, example, torch.zeros_like(example)),
            str(out),
            input_names=list(INPUT_NAMES),
            output_names=["vectors"],
            dynamic_axes={**axes, "vectors": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return model.config


def _fuse(raw: Path, out: Path, config: Any) -> None:
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(raw),
        model_type="bert",
        num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        opt_level=0,  # graph fusions only; onnxruntime applies its own when it loads the file
    )
    fused.save_model_to_file(str(out))
