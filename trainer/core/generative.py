"""Optional generated customer lines: a local causal language model behind an in-character guard.

The operator points ``TRAINER_CUSTOMER_LM`` at a folder with a causal language model and its
tokenizer (transformers format); nothing is downloaded. The model is prompted with the persona,
the customer's state and the last turns; the guard refuses a line that breaks character, and the
line bank answers instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

from trainer.core.scenario import Scenario
from trainer.core.simulator import CustomerState, mood_band, shown_mood
from trainer.language import word_counts

MAX_NEW_TOKENS = 60
MIN_WORDS, MAX_WORDS = 3, 45
#: A line that repeats its words this much is not speech (a small or broken model's salad).
MIN_DISTINCT_SHARE = 0.75
_APOLOGY = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|my bad|forgive me|maaf|mohon maaf|minta maaf)\b", re.I
)
_THANKS = re.compile(
    r"\b(thank|thanks|thx|appreciate|grateful|terima ?kasih|makasih|trims)\b", re.I
)
_AGENT = re.compile(
    r"(how (?:can|may) i help|we apologi[sz]e|our team will|thank you for contacting|"
    r"is there anything else|ada yang bisa (?:saya|kami) bantu|kami mohon maaf|"
    r"terima kasih telah menghubungi|^\s*(?:agent|cs|customer service|petugas)\s*:)",
    re.I | re.M,
)
_ROLE_MARK = re.compile(r"^\s*(customer|pelanggan|agent|cs|system|user|assistant)\s*:", re.I | re.M)
_WORD = re.compile(r"[A-Za-z']+")


def guard(text: str, scenario: Scenario, state: CustomerState, intent: str) -> str | None:
    """Why the line cannot be said in character, or None when it can."""
    line = text.strip()
    words = _WORD.findall(line)
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return f"length: {len(words)} words"
    if _ROLE_MARK.search(line) or _AGENT.search(line):
        return "speaks as the agent or as another role"
    mood = shown_mood(state.mood)
    if intent not in ("accept", "thank") or mood >= 7:
        if _APOLOGY.search(line):
            return f"apologises at mood {mood}"
        if _THANKS.search(line) and (mood >= 4 or intent not in ("accept", "thank")):
            return f"thanks at mood {mood} while it should {intent}"
    lowered = [w.lower() for w in words]
    if len(lowered) >= 8 and len(set(lowered)) < MIN_DISTINCT_SHARE * len(lowered):
        return "incoherent: repeats its own words"
    english, indonesian = word_counts(line)
    if scenario.language == "id" and indonesian < max(1, english):
        return "not in Indonesian"
    if scenario.language == "en" and english < max(1, indonesian):
        return "not in English"
    if sum(c.isalpha() for c in line) < 0.6 * len(line.replace(" ", "")):
        return "not prose"
    said = {" ".join(_WORD.findall(u.lower())) for u in state.used}
    if " ".join(lowered) in said:
        return "repeats an earlier line"
    return None


def prompt(
    scenario: Scenario, state: CustomerState, intent: str, history: Sequence[tuple[str, str]]
) -> str:
    """The persona, the state and the last turns, ending where the customer speaks."""
    model = scenario.model
    feeling = {"high": "furious", "mid": "annoyed", "low": "calm"}[mood_band(state.mood)]
    goal = {
        "complain": "complain about the problem and what it costs you",
        "demand": "insist that it is fixed now",
        "doubt": "say you doubt the promise",
        "push_back": "refuse the offer as not enough",
        "accept": "accept the plan",
        "thank": "thank the agent",
        "escalate": "demand a supervisor and end the chat",
    }[intent]
    language = "Indonesian" if scenario.language == "id" else "English"
    lines = [
        f"{scenario.customer.name}: {scenario.customer.persona}",
        f"Needs: {model.persona.needs}",
        f"The customer is {feeling} ({shown_mood(state.mood)}/10) and will {goal}. "
        f"Write one short line in {language}, as the customer.",
    ]
    lines += [f"{speaker.capitalize()}: {text}" for speaker, text in history[-4:]]
    lines.append("Customer:")
    return "\n".join(lines)


class LanguageModelCustomer:
    """Generates customer lines with a local causal LM (loaded once, on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"no language model folder at {self.path}")
        self._lock = threading.Lock()
        self._loaded = None

    def _load(self):
        if self._loaded is None:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True)
            model.eval()
            self._loaded = (tokenizer, model)
        return self._loaded

    def __call__(
        self,
        scenario: Scenario,
        state: CustomerState,
        intent: str,
        band: str,
        history: Sequence[tuple[str, str]],
        seed: int,
    ) -> str | None:
        import torch

        with self._lock:
            tokenizer, model = self._load()
            inputs = tokenizer(prompt(scenario, state, intent, history), return_tensors="pt")
            torch.manual_seed(seed * 1_000_003 + state.turns)
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    max_new_tokens=MAX_NEW_TOKENS,
                    do_sample=True,
                    top_p=0.9,
                    temperature=0.8,
                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                )
        text = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        return text.strip().split("\n")[0].strip() or None
