"""Abi's settings (environment variables with the PM_ prefix); every field has a working default."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import CommonSettings


class AbiSettings(CommonSettings):
    abi_rules_path: str = Field(
        "",
        description="Rules YAML to load and watch for hot reload; empty uses the shipped "
        "services/abi/default_rules.yaml (then ReplaceRules changes the active rules in memory only).",
    )
    abi_rules_reload_seconds: float = Field(1.0, description="How often the rules file is checked for changes.")
    abi_models_dir: str = Field(
        "",
        description="Directory with the classifier (abi_model.int8.onnx, its tokenizer and card); empty uses "
        "services/abi/models.",
    )
    abi_threat_verifier: bool = Field(
        True,
        description="Read a message the classifier would stop as a threat, harassment or exposure a second time "
        "with the threat verifier (services/abi/models/threat_verifier) and only warn when it finds no harm.",
    )
    abi_model_workers: int = Field(
        2, description="Threads that run the classifier (onnxruntime releases the GIL); about one per core."
    )
    abi_index_timeout_seconds: float = Field(
        0.25,
        description="Deadline of the learned-weights call to the embedding index; past it Abi decides without "
        "them (marked degraded). The decision itself never waits on the index.",
    )
    abi_index_breaker_failures: int = Field(
        3, description="Index failures in a row before Abi stops asking for a while."
    )
    abi_index_breaker_reset_seconds: float = Field(
        2.0, description="How long Abi routes degraded before probing the index (a failed probe costs little)."
    )
    abi_weights_cache_seconds: float = Field(
        5.0,
        description="How long a user's learned weights from the index are reused (they move only with feedback); "
        "0 asks the index on every Route (also: a deleted user's weights are gone from Abi at once).",
    )
    abi_session_capacity: int = Field(50_000, description="Sessions remembered for routing hysteresis (LRU).")
    abi_session_ttl_seconds: float = Field(1800.0, description="How long a session's persona is remembered.")
    abi_max_rules_bytes: int = Field(
        256 * 1024, description="Largest rules document accepted by Validate/ReplaceRules."
    )
    abi_max_turns: int = Field(50, description="Most recent_turns accepted in one request.")
    abi_max_metadata_entries: int = Field(64, description="Most metadata entries accepted in one request.")
