"""A tiny random chat model, built offline from a config: a test double for local models.

It exercises exactly the code paths a real model does (loading from a directory, chat
template, left-padded batches, sampling, logprobs) in well under a second per call, with no
download. Its text is gibberish: one printable ASCII character a token, from random
weights, so text and token ids convert back and forth exactly.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|im_start|>", "<|im_end|>", "<pad>"]
CHARACTERS = [chr(code) for code in range(32, 127)] + ["\n", "\t"]


def build_tiny_model(
    directory: Path | str,
    *,
    seed: int = 0,
    chat_template: bool = True,
    hidden_size: int = 64,
    layers: int = 2,
    context: int = 1024,
) -> Path:
    """Save a random Llama-architecture model and a byte-level tokenizer in ``directory``.

    ``chat_template=False`` leaves the tokenizer without one (to test that error path).
    """
    import torch
    from tokenizers import Tokenizer, decoders, models
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    out = Path(directory)
    vocab = {symbol: index for index, symbol in enumerate(["<unk>", *CHARACTERS])}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()
    core.add_special_tokens(SPECIAL_TOKENS)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=core,
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token=None,
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=context,
        tie_word_embeddings=True,
        initializer_range=0.5,  # peaked logits: greedy choices are far from ties
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out
