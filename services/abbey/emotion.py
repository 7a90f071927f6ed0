"""Abbey's emotional state: Abi's reading when the routing decision carries one, her own otherwise.

Abi sends GoEmotions labels, Ekman groups and a sentiment. The Ekman group decides the family of the
feeling (Abi's Ekman head is the better judge of it: GoEmotions-test macro-F1 0.63 against 0.55 for groups
read off the 28 labels); the 28 labels pick the nuance inside it, folded into the original ten emotions by
the mapping Abi's derived emotions use (services/common/emotions.py). Intensity is how strongly the
feeling is put, not how sure the model is that it is there: Abi's sentiment intensity, lowered when the
writer plays the feeling down ("a bit annoyed", "slightly nervous"). Without a routing decision she
reads the message herself: VADER for polarity and intensity (services/common/polarity.py, as Abi reads it), a
small cue lexicon for which emotion.

Abi's model learnt emotions from short Reddit comments; told a story ("we had to have our old dog put down
today"), it can find no feeling at all. So when Abi reads a message that is not a plain request as neutral,
her own reading is a second opinion: a feeling the writer names in words is answered to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from personamesh.v1 import persona_pb2
from services.abbey.conversation import last_user_turn, tells_new_subject
from services.abbey.feeling_words import NamedFeeling, named_feelings, negated, strongest, words_before
from services.abbey.hashtags import spelled_out
from services.abbey.language import (
    EMPHASIS,
    HEALTH_SCARE,
    IN_HOSPITAL,
    SHOUTED,
    is_plain_request,
    laughs_off_a_mishap,
    speaks_of_a_death,
    tells_a_close_one_died,
    tells_a_close_one_is_ill,
    tells_apology_received,
    tells_harm_to_someone_close,
    tells_relief,
    tells_unread_news,
    told_in_disbelief,
)
from services.abbey.situation import Pain
from services.common.emotions import EKMAN, derive, to_persona_emotion
from services.common.polarity import polarity as text_polarity

# Words that play a feeling down (the dampening subset of VADER's boosters that always dampens a feeling, plus
# the informal ones it lacks; VADER's "little", "barely" and "hardly" are left out: "his little paws", "I can
# barely breathe"). A feeling put this way is mild, whatever the label's probability.
_DOWNTONERS = re.compile(
    r"\b(?:slight(?:ly)?|somewhat|kind of|kinda|sort of|sorta|a little|a bit|a tad|a touch|mildly|marginally|"
    r"not the end of the world|small thing|(?:not a|no) big deal|a tinge of)\b"
    r"|^\s*(?:bit|little)\b"
    # Understatement: "Bit much.", "lowkey nervous lol", "oh well", "starting to annoy me", "not exactly thrilled".
    r"|\bbit (?:much|rank|off|rich|grim|gross|annoying|irritating|odd|weird|sad|naff|meh)\b|\blow[- ]?key\b"
    r"|\boh well\b|\bstarting to\b|\bnot (?:exactly|the best|ideal|great)\b|\bsilly thing\b|\bmeh\b"
    # Everyday understatement: "wee bit boggin", "bit of a pain", "minor thing", "nae drama", "nothing serious".
    r"|\b(?:wee|tiny) bit\b|\bbit of an?\b|\b(?:no|nae) drama\b|\bnothing (?:major|serious)\b"
    r"|\bminor (?:thing|issue|annoyance|gripe|irritation|inconvenience|niggle)s?\b"
    r"|\bnot (?:a )?(?:huge|massive|major) deal\b",
    re.IGNORECASE,
)
STRONG = 0.6  # at least this intense when emphasised
NEGATIVE_GROUPS = frozenset({"anger", "disgust", "fear", "sadness"})
MILD = 0.25  # the intensity of a feeling that was played down
CLEAR = 0.4  # from this intensity a feeling is met with the clear tier's words, not the mild tier's
# A loss told in words: a death, a funeral, a breakup (sad cues that decide over Abi's reading). Abi's model, trained
# on short comments, can read such a story as surprise or joy ("My grandad passed on Sunday. The funeral's Friday
# ..."); the words then decide.
_LOSS = ("died", "passed away", "passed on", "funeral", "lost my", "put down", "grief", "griev", "heartbroken",
         "devastat", "broke up", "breakup", "divorce")  # fmt: skip

# The praise in a friend's name, which VADER scores as the message's ("my best friend is moving to Australia" read
# 0.81 positive): the news is scored without it ("my friend is moving ...").
_FRIEND_PRAISE = re.compile(r"\b(?:best|good|dear|close|closest|oldest)\s+(?=(?:friend|mate|buddy|pal)s?\b)", re.I)

# Cue words for Abbey's own reading, checked as whole words or prefixes.
_CUES: dict[str, tuple[str, ...]] = {
    "sad": (*_LOSS, "sad", "lonely", "alone", "depress", "cry", "crying", "miss ", "hopeless", "empty", "worthless",
            "hurt", "horrible", "broke my heart", "heartbreak", "regret", "suffer", "abandon", "cheat", "guilt",
            "ashamed", "unloved", "rejected me", "left me", "gutted", "miserable",
            # rejection by one's own people, and nowhere to live ("kicked me out after I came out")
            "kicked me out", "threw me out", "disowned", "cut me off", "betray", "nowhere to go", "nowhere to live",
            "homeless", "no one to turn to",
            # a serious illness named, told as news ("my dad has dementia and today he didn't recognise me")
            "diagnosed with", "dementia", "alzheimer", "cancer", "terminally ill", "chemo",
            # being without anyone ("I just moved to Berlin and I don't know anyone here")
            "don't know anyone", "do not know anyone", "dont know anyone", "no friends", "already has friends",
            "already have friends", "nobody to talk to", "no one to talk to", "left out", "isolated",
            # an occasion forgotten by someone who should have remembered it ("my husband forgot our anniversary")
            "forgot our anniversary", "forgot my birthday", "forgot about our anniversary", "forgot about my birthday",
            # a fight with someone close ("my boyfriend and I had a huge fight last night")
            "had a fight", "huge fight", "big fight", "an argument with", "we argued", "had an argument",
            # shut out by someone ("my sister hasn't spoken to me since the wedding")
            "hasn't spoken to me", "hasn't talked to me", "has not spoken to me", "stopped talking to me",
            "stopped speaking to me", "won't talk to me", "won't speak to me", "not speaking to me",
            "not talking to me", "ghosted me", "blocked me",
            # lied to by someone close ("my dad has been lying to us for years about his debts")
            "lying to me", "lying to us", "lied to me", "lied to us"),
    "frustrated": ("frustrat", "annoy", "angry", "furious", "mad at", "so mad", "get mad", "really mad", "sick of",
                   "fed up", "hate", "stupid", "useless", "doesn't work", "does not work", "keeps failing",
                   "again and again", "irritat", "yelling", "yells", "yelled at", "shouted at", "screamed at",
                   "humiliat", "complain", "micro-manage", "can't stand",
                   "treats me like", "disrespect", "unfair", "ugh", "grr", "outrage",
                   # being wronged by someone ("my coworker keeps taking credit for my work")
                   "credit for my", "talks over me", "talked over me", "interrupts me", "undermin", "gaslight",
                   "blames me", "blamed me", "throws me under",
                   # plans undone by things out of one's hands ("my flight got cancelled and I'm stuck at the airport")
                   "stranded", "stuck at the", "got cancelled", "got canceled", "was cancelled", "was canceled",
                   "missed my flight", "missed my connection", "missed my train", "delayed again", "hours late",
                   # a payment or claim refused, something stolen ("insurance won't pay")
                   "won't pay", "refused to pay", "refuse to pay", "denied my claim", "rejected my claim",
                   "got stolen", "was stolen", "were stolen",
                   # disgust folds into frustrated (services/common/emotions.py)
                   "disgust", "grossed out", "so gross", "kinda gross", "eww", "yuck", "icky", "nasty", "revolting",
                   "repuls", "vile", "sickening", "turned my stomach", "distasteful", "filthy"),
    "confused": ("confus", "don't understand", "do not understand", "makes no sense", "lost", "unclear", "puzzl",
                 "not sure how", "what does", "why does", "torn", "don't know if", "do not know if", "don't know what",
                 "not sure if", "mixed feelings"),
    "excited": ("excit", "can't wait", "cannot wait", "thrilled", "amazing", "awesome", "finally", "just got",
                "had a baby", "had twins", "gave birth", "got engaged", "got married", "new baby",
                "just bought", "woohoo", "can't believe", "first time", "vacation", "so much fun", "passport",
                # a new pet ("I got a puppy this morning"); a birthday someone turns is in `_PATTERN_CUES`
                "got a puppy", "got a kitten", "new puppy", "new kitten", "adopted a", "brought home a",
                "had kittens", "had puppies", "had her kittens", "had her puppies",
                # a life step still ahead ("my partner and I are moving in together next month")
                "moving in together", "getting married", "having a baby", "expecting a baby", "we're expecting",
                "getting a puppy", "getting a kitten"),
    "anxious": ("anxious", "anxiety", "worr", "scared", "afraid", "nervous", "panic", "fear", "terrified", "dread",
                "crazy", "need help", "help me", "what do i do", "what should i do", "how do i deal", "cope", "coping",
                "insecure", "paranoi", "emergency room", "jitter", "apprehens", "uneasy", "on edge", "stop shaking",
                "imagining the worst", "expect the worst", "fear the worst", "can't sleep", "cannot sleep",
                "couldn't sleep", "mind keeps racing", "mind is racing", "racing thoughts", "lying awake",
                # unprepared for what is ahead ("job interview tomorrow and i haven't prepared at all")
                "haven't prepared", "have not prepared", "havent prepared", "unprepared", "haven't studied",
                "have not studied", "havent studied"),
    "stressed": ("stress", "overwhelm", "pressure", "deadline", "burn out", "burnout", "exhausted", "too much",
                 "can't cope", "cannot cope", "swamped", "so busy", "no time", "impossible", "worn out", "drained",
                 "running on empty", "burnt out", "burned out",
                 # a home flooded or broken into ("our house got flooded last week")
                 "got flooded", "was flooded", "were flooded", "has flooded", "house flooded", "flat flooded",
                 "basement flooded", "kitchen flooded", "got burgled", "was burgled", "were burgled", "been burgled",
                 "broken into", "broke into our", "broke into my"),
    "curious": ("curious", "wonder", "how does", "how do", "why is", "what is", "explain", "learn", "interested in"),
    "disappointed": ("disappoint", "let down", "letdown", "expected more", "failed", "rejected", "didn't get",
                     "backfire", "ruined", "have to throw", "forgot my birthday", "forgot about me", "stood me up",
                     "nobody came", "no one came", "ignored me", "left out"),
    "happy": ("happy", "glad", "grateful", "thank", "love", "great news", "proud", "joy", "wonderful", "relieved",
              "feels good", "scored", "fun", "enjoy", "helped", "so good", "made me smile", "smiling",
              "feeling content", "delighted"),
    # Not one of the ten: good news read this way is excitement, bad news bewilderment (`_SURPRISE_AS`).
    "surprised": ("surpris", "unexpected", "didn't expect", "did not expect", "didn't see that", "did not see that",
                  "no way,", "no way!", "wait what", "can't believe", "cannot believe", "just found out",
                  "out of nowhere", "who knew", "didn't know that", "shocked", "stunned", "speechless", "?!", "!?"),
}  # fmt: skip

# A wish that something end ("I just want this sprint to be over", "can't wait for this week to end", "counting
# down till exams are done"): weariness, though Abi reads desire in "want" and "can't wait" is an excited cue.
# Praise standing alone, said through gritted teeth when the rest is bad news ("great, just great, my car broke down
# again", "... and the printer jammed. Fantastic."): a word of praise, maybe repeated or "just"-ed, then punctuation.
_PRAISE_WORDS = (
    r"great|fantastic|brilliant|wonderful|perfect|lovely|awesome|marvell?ous|super|terrific|nice|love (?:that|it)"
)
_PRAISE = rf"(?:oh\s+)?(?:just\s+)?(?:{_PRAISE_WORDS})"
_PRAISE_OPENS = re.compile(rf"^\s*{_PRAISE}(?:\s*[,.!]+\s*{_PRAISE})*\s*[,.!;:\u2014-]+\s*", re.IGNORECASE)
_PRAISE_CLOSES = re.compile(rf"[,.!;:\u2014-]\s*{_PRAISE}(?:\s*[,.!]+\s*{_PRAISE})*\s*[.!]*\s*$", re.IGNORECASE)
# The same words and more, where sarcasm puts them (`may_be_sarcasm`, which a learned reading of what is left then
# confirms): "Perfect timing,", mock luck and thanks, "... lol great start to the week". The older guard keeps the
# shorter list: its bad news is the sentiment lexicon's alone, and with "perfect timing" it took "The rain stopped
# precisely as the wedding photographs began. Perfect timing." for a complaint (sarcasm tuning set).
_SURFACE = (
    rf"(?:oh\s+)?(?:just\s+)?(?:so\s+|very\s+|truly\s+)?(?:{_PRAISE_WORDS}|perfect timing|love (?:that|it) for me|"
    r"excellent|splendid|delightful|amazing|beaut|sweet|cool|yay|woo+hoo+|hooray|classic|nailed it|lucky(?: me| you)?|"
    r"just my luck|what luck|blessed|fortunate timing|(?:aren'?t|am) (?:i|you) the lucky one|living the dream|"
    r"(?:off to a |what a )?(?:flying|cracking|great) start(?: to the \w+)?|my favou?rite|just what i needed|"
    r"exactly what i needed|thanks a (?:lot|bunch|million)|cheers|good good|yes yes very nice|very (?:good|nice|well))"
)
_SURFACE_OPENS = re.compile(rf"^\W*{_SURFACE}(?:\s*[,.!]+\s*{_SURFACE})*\s*[,.!;:\u2014-]+\s*", re.IGNORECASE)
_SURFACE_CLOSES = re.compile(
    rf"(?:[,.!;:\u2014-]|\blol)\s*{_SURFACE}(?:\s*[,.!]+\s*{_SURFACE})*\s*[.!]*\s*(?:lol)?\s*$", re.IGNORECASE
)
_BAD_NEWS = -0.2  # the polarity of the rest at or under which it is bad news
# Praise closing a message is short: a closing pattern is searched in the message's last characters only. Searched
# in the whole message, "great, " repeated 3,000 times took 1.5 s (each start scans to the end and fails at "$"):
# a message can hold 32,000 characters, and the reading runs on the event loop.
_CLOSING_WINDOW = 160


def _closing(pattern: re.Pattern[str], text: str) -> int | None:
    """Where `pattern`, anchored at the end, starts in `text` (searched in its last `_CLOSING_WINDOW` characters)."""
    tail = text[-_CLOSING_WINDOW:]
    found = pattern.search(tail)
    return None if found is None else len(text) - len(tail) + found.start()


_WISHES_IT_OVER = re.compile(
    r"\b(?:want|wish|need)\s+(?:\w+\s+){0,4}?(?:to\s+be|to\s+get|was|were|would\s+be)\s+(?:over|done|finished)\b"
    r"|\b(?:want|wish|need)\s+(?:\w+\s+){1,4}?to\s+(?:end|stop)\b"
    r"|\b(?:can'?t|cannot)\s+wait\s+(?:for|until|till|til)\s+(?:\w+\s+){0,4}?(?:to\s+)?(?:be\s+)?"
    r"(?:over|done|finished|end|ends)\b"
    r"|\bcounting\s+down\s+(?:to|until|till|til)\s+(?:\w+\s+){0,4}?(?:is\s+|are\s+)?(?:over|done|ends?)\b",
    re.IGNORECASE,
)

# Cues that need a pattern rather than a phrase, with the score each gives (checked, like the phrases, for a
# negation before them): emotion -> (pattern, score).
_PATTERN_CUES: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("stressed", _WISHES_IT_OVER, 0.75),
    # Not knowing how to manage or to afford something ("the rent is going up 30% and I don't know how we'll
    # manage"): worry, though its own words are negated ones that a phrase cue would discount.
    (
        "anxious",
        re.compile(
            r"\b(?:(?:don'?t|do not|no idea|not sure)\s+(?:know\s+)?how\s+(?:we|i)(?:'ll| will| are going to|"
            r" am going to|'re going to|'m going to| can)\s+(?:manage|cope|pay|afford|get by|make (?:it|rent|"
            r"ends meet))|(?:can'?t|cannot|couldn'?t)\s+afford|behind on (?:the |our |my )?(?:rent|bills|mortgage|"
            r"payments)|struggling to (?:pay|make ends meet))",
            re.IGNORECASE,
        ),
        0.65,
    ),
    # Someone in hospital ("my mom is in the hospital and I can't focus"): worry for them, put clearly.
    ("anxious", IN_HOSPITAL, 0.7),
    # A health scare not yet confirmed ("they found a lump last week"): a worry; words of relief still win.
    ("anxious", HEALTH_SCARE, 0.6),
    # A birthday someone turns ("my grandma turns 90 on sunday"): good news, like the other excited cues.
    (
        "excited",
        re.compile(
            r"\bturns? (?:\d{1,3}|eighteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred)\b",
            re.IGNORECASE,
        ),
        0.65,
    ),
)

# Anxious cues that, in a calm request for a task, are only how people ask ("can you help me write a cover letter?",
# "could you help me with my CV?"); "please help me, I don't know what to do" is still a plea.
_REQUEST_IDIOMS = frozenset({"need help", "help me"})
_TASK_REQUEST = re.compile(rf"\b(?:{'|'.join(_REQUEST_IDIOMS)})\s+(?:to\s+|with\s+)?[a-z]")

# The writer naming their own stress ("I'm so stressed about money", "work is stressing me out", "completely
# overwhelmed", "I'm exhausted, work has been relentless"): GoEmotions has no label for it, so the feeling words
# (keyed by its labels) cannot name it.
_NAMES_STRESS = re.compile(
    r"\b(?:i'?m|im|i am|feel(?:ing)?|felt|been|getting|get)\s+(?:so\s+|really\s+|very\s+|super\s+|completely\s+|"
    r"totally\s+|a bit\s+|kind of\s+|kinda\s+|just\s+|absolutely\s+)?"
    r"(?:stressed|overwhelmed|burnt out|burned out|frazzled|exhausted|drained|worn out|running on empty)\b"
    # Overwhelmed wherever it stands ("honestly overwhelmed with everything"), unless by something good.
    r"|\boverwhelmed\b(?!\s+(?:with|by)\s+(?:joy|gratitude|love|kindness|happiness|pride|emotion|support|relief))"
    r"|\bstress(?:ing|es)?\s+(?:me\s+)?out\b"
    r"|\bunder\s+(?:so much|a lot of|too much|huge|massive)\s+(?:pressure|stress)\b",
    re.IGNORECASE,
)

# An outcome that went against the writer ("I didn't get the job", "my application was rejected", "failed my test").
_WENT_AGAINST = re.compile(
    r"\b(?:didn'?t|did not|never) get (?:the|a|an|my|into|in|onto|on|selected|picked|chosen|accepted)\b"
    r"|\b(?:rejected|turned down|not selected|wasn'?t selected|passed over|didn'?t make (?:it|the cut))\b"
    r"|\bfailed (?:my|the|an?|again)\b",
    re.IGNORECASE,
)

# Surprise is not one of the ten emotions: which one it becomes depends on whether the news is good.
_SURPRISE_AS = {"good": "excited", "bad": "confused"}
# Something that happened again: disbelief at it is exasperation ("can't believe the rent went up again").
_AGAIN = re.compile(r"\b(?:again|for the (?:second|third|fourth|fifth|\w+th) time)\b", re.IGNORECASE)

# The persona emotions of a negative feeling: the ones Abbey answers with care.
NEGATIVE = frozenset({"sad", "frustrated", "anxious", "stressed", "disappointed", "confused"})
# What a question reads as to the model ("curiosity", "confusion") without being felt: a plain question
# with one of these is neutral, unless the writer says they are confused or lost.
ASKING = frozenset({"curious", "confused"})
_SAYS_CONFUSED = re.compile(
    r"\b(?:confus\w*|lost|puzzl\w*|baffl\w*|(?:do not|don't|dont|can't|cannot) (?:get|understand|figure))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EmotionReading:
    """Who the user seems to be right now."""

    primary: str
    intensity: float
    scores: dict[str, float]
    polarity: float
    # "routing", "own", "situation" (services/abbey/situation.py), "sarcasm" (`read_sarcasm`) or "conversation" (an
    # earlier turn)
    source: str
    named: bool = False  # the writer names the feeling in words ("a bit nervous", "livid")

    @property
    def negative(self) -> bool:
        return self.primary in NEGATIVE

    def to_proto(self) -> persona_pb2.EmotionalState:
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))
        return persona_pb2.EmotionalState(
            primary=self.primary,
            intensity=round(self.intensity, 3),
            emotions=[persona_pb2.EmotionScore(label=label, score=round(score, 3)) for label, score in ranked[:5]],
        )


class EmotionReader:
    """Turns a request into an EmotionReading."""

    def read(self, request: persona_pb2.PersonaRequest) -> EmotionReading:
        if (spelled := spelled_out(request.content)) != request.content:
            # "#mildlyannoyed" is read as "mildly annoyed": its feeling words and dampeners are found.
            readable = persona_pb2.PersonaRequest()
            readable.CopyFrom(request)
            readable.content = spelled
            request = readable
        routing = request.routing if request.HasField("routing") else None
        named = strongest(named_feelings(request.content))
        if named is not None and named.group == "joy" and _WISHES_IT_OVER.search(request.content):
            named = None  # "can't wait for this week to end" names no excitement
        if routing is not None and (routing.emotions or routing.ekman_emotions):
            reading = self._from_routing(routing, request.content)
            if not reading.negative and not is_plain_request(request.content):
                own = self.read_text(request.content)
                pain = _painful(reading, request.content)
                if pain is not None and not own.negative:
                    reading = pain  # Abi's labels hold a painful feeling: never answered with cheer
                elif reading.primary == "neutral" and own.primary != "neutral":
                    reading = own  # Abi found no feeling in a story; the writer's words name one
                elif own.primary == "sad" and _tells_a_loss(request.content):
                    reading = own  # a loss told in words ("passed on Sunday ... the funeral"): never met with cheer
                elif own.negative and _family(routing) == "surprise":
                    reading = own  # surprise is good news only by Abi's sentiment: the writer's words of pain decide
                elif own.primary == "stressed" and _WISHES_IT_OVER.search(request.content):
                    reading = own  # wishing something over is weariness, not the excitement or desire Abi reads
            if (
                reading.primary in ("happy", "excited")
                and reading.source == "routing"
                and (named is None or named.group != "joy")
                and laughs_off_a_mishap(request.content)
            ):
                # "the dog chewed my new shoes lol" (Abi: amusement) had got "That's lovely to hear ... Enjoy it".
                scores = {**reading.scores, "frustrated": max(reading.scores.get("frustrated", 0.0), 0.5)}
                reading = EmotionReading("frustrated", MILD, scores, reading.polarity, "own")
            if reading.negative and reading.primary != "stressed" and _NAMES_STRESS.search(request.content):
                reading = _as_stressed(reading, request.content)  # "I'm so stressed about money": not disappointed
            elif (
                reading.primary == "sad"
                and tells_apology_received(request.content)
                and (named is None or named.group not in NEGATIVE_GROUPS)
                and not self.read_text(request.content).negative
            ):
                # "he said sorry and took me out to dinner" had got "Sorry to hear that he said sorry": the remorse
                # Abi reads is the other person's; an apology made to the writer is good news.
                reading = EmotionReading("happy", 0.4, {**reading.scores, "happy": 0.5}, reading.polarity, "routing")
            elif (
                reading.primary == "frustrated"
                and _WENT_AGAINST.search(request.content)
                and (named is None or named.group != "anger")
            ):
                # "I didn't get the job" (Abi: annoyance) had got "That's annoying ... What outcome would feel fair":
                # an outcome that went against the writer is a letdown, not a grievance.
                felt = reading.scores.get("frustrated", reading.intensity)
                reading = replace(reading, primary="disappointed", scores={**reading.scores, "disappointed": felt})
            elif reading.primary == "disappointed" and tells_harm_to_someone_close(request.content):
                # "my son was bullied at school today" had got "you clearly hoped for more": harm done to someone
                # close is sorrow for them, not a letdown of the writer's own hopes.
                felt = reading.scores.get("disappointed", reading.intensity)
                reading = replace(reading, primary="sad", scores={**reading.scores, "sad": felt})
            return _as_relieved(_as_written(reading, named, request.content), request.content)
        reading = _as_written(self.read_text(request.content), named, request.content)
        if reading.primary == "neutral" and not tells_relief(request.content):
            return self._carried_over(request) or reading
        return _as_relieved(reading, request.content)

    def unfounded_cheer(self, reading: EmotionReading, text: str, achievement: bool) -> bool:
        """A happy or excited reading from Abi's labels alone whose words hold no good news: no joy cue or feeling
        named, no exclamation, no achievement, relief or apology received, and the sentiment lexicon at most mildly
        positive ("I worked so hard for it" after a rejection, read as pride). In a painful conversation it ends
        nothing."""
        if reading.primary not in ("happy", "excited") or reading.source != "routing":
            return False
        if "!" in text or achievement or tells_relief(text) or tells_apology_received(text):
            return False
        named = strongest(named_feelings(text))
        own = self.read_text(text)
        return (
            (named is None or named.group not in ("joy", "surprise"))
            and own.primary == "neutral"
            and own.polarity < 0.3
        )

    def _carried_over(self, request: persona_pb2.PersonaRequest) -> EmotionReading | None:
        """A neutral follow-up in a heavy conversation keeps some of the earlier feeling (at 60 %); a message that
        moves on to something else keeps none."""
        said = last_user_turn(request)
        if not said or tells_new_subject(request.content, said):
            return None
        earlier = self.read_text(said)
        if not earlier.negative:
            return None
        scores = {earlier.primary: round(earlier.scores[earlier.primary] * 0.6, 3)}
        return EmotionReading(earlier.primary, round(earlier.intensity * 0.6, 3), scores, 0.0, "conversation")

    def _from_routing(self, routing: persona_pb2.RoutingDecision, text: str) -> EmotionReading:
        scores = derive((emotion.label, emotion.score) for emotion in routing.emotions)
        family = _family(routing)
        if family == "neutral" or (family in ("surprise", "joy") and is_plain_request(text)):
            # Nothing felt to answer to. A plain question reads as "curiosity", which GoEmotions files under
            # surprise: asking is not being surprised; and its positive words describe what is asked for
            # ("tips for better photos"), not how the person feels. A feeling it names still counts (_as_named).
            primary = "neutral"
            scores = _neutral(scores)
        elif family:
            members = {to_persona_emotion(label) for label in EKMAN[family]}
            inside = {label: score for label, score in scores.items() if label in members}
            primary = max(inside, key=lambda label: inside[label]) if inside else to_persona_emotion(family) or family
            if family == "surprise" and primary == "excited" and routing.sentiment.polarity < 0.3:
                primary = "curious"  # surprise is excitement only when it is good news
            pain = _pain(scores)
            if primary not in NEGATIVE and pain:
                primary = max(pain, key=lambda label: pain[label])  # a painful feeling beside a happy one wins
            scores.setdefault(primary, max((e.score for e in routing.ekman_emotions if e.label == family), default=0.5))
        else:
            scores = scores or {"neutral": 1.0}
            primary = _primary(scores)
            if _only_asking(primary, text):
                primary, scores = "neutral", _neutral(scores)
        sentiment = routing.sentiment
        intensity = 0.0 if primary == "neutral" else _put(text, float(sentiment.intensity) or scores.get(primary, 0.0))
        return EmotionReading(primary, round(min(1.0, intensity), 3), scores, float(sentiment.polarity), "routing")

    def read_text(self, text: str) -> EmotionReading:
        lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
        scores: dict[str, float] = {}
        polarity = text_polarity(_FRIEND_PRAISE.sub("", text))
        idiom = is_plain_request(text) and _TASK_REQUEST.search(lowered) is not None
        for emotion, cues in _CUES.items():
            hits = sum(1 for cue in cues if _has_cue(lowered, cue) and not (idiom and cue in _REQUEST_IDIOMS))
            if hits:
                if emotion == "surprised":
                    emotion = _SURPRISE_AS["bad" if polarity < 0 else "good"]
                scores[emotion] = max(scores.get(emotion, 0.0), min(1.0, 0.45 + 0.2 * hits))
        for emotion, pattern, score in _PATTERN_CUES:
            found = pattern.search(lowered)
            if found and not negated(words_before(lowered, found.start())):
                scores[emotion] = max(scores.get(emotion, 0.0), score)
        if polarity <= -0.5 and not any(e in scores for e in NEGATIVE):
            scores["sad"] = 0.4 + 0.3 * abs(polarity)
        # In a question, positive words describe what is asked for ("a good book"), not how the person feels.
        if polarity >= 0.5 and not scores and not text.rstrip().endswith("?"):
            scores["happy"] = 0.4 + 0.3 * polarity
        if not scores:
            scores = {"neutral": 1.0}
        primary = _primary(scores)
        if _only_asking(primary, text):
            primary, scores = "neutral", {"neutral": 1.0}
        emphasis = min(0.2, 0.05 * text.count("!")) + (0.1 if SHOUTED.search(text) else 0.0)
        base = scores[primary] if primary != "neutral" else 0.0
        intensity = min(1.0, max(base * 0.6 + abs(polarity) * 0.4, abs(polarity)) + emphasis)
        if primary != "neutral":
            intensity = _put(text, intensity)
        return EmotionReading(primary, round(intensity, 3), scores, polarity, "own")


def tells_a_situation(text: str) -> bool:
    """Whether the situation head may read `text`: a statement, not a plain request, and not news received whose
    content is not said ("got a letter from the council today": what it said is what carries a feeling)."""
    return not is_plain_request(text) and not tells_unread_news(text)


def from_situation(reading: EmotionReading, text: str, feeling: tuple[str, float] | None) -> EmotionReading:
    """A neutral reading of a statement, replaced by what its situation usually makes a person feel (the situation
    head's Ekman group and probability, services/abbey/situation.py); any other reading is kept. Surprise is
    excitement at good news and bewilderment at bad, as in the cue lexicon; the intensity, from the head's
    probability, gives a painful situation a supportive tone unless the writer plays it down."""
    if feeling is None or reading.primary != "neutral" or not tells_a_situation(text):
        return reading
    group, probability = feeling
    if group == "surprise":
        primary = _SURPRISE_AS["bad" if reading.polarity < 0 else "good"]
    else:
        primary = to_persona_emotion(group) or "neutral"
    intensity = _put(text, round(0.3 + 0.3 * probability, 3))
    scores = {**reading.scores, primary: round(probability, 3)}
    scores.pop("neutral", None)
    return EmotionReading(primary, intensity, scores, reading.polarity, "situation")


# The situation head's probability at which its feeling replaces an unnamed reading of another family (chosen on the
# third empathy tuning set; services/abbey/README.md, "A learned second opinion on a feeling nobody named").
SECOND_OPINION = 0.8


def needs_second_opinion(reading: EmotionReading, text: str) -> bool:
    """A feeling read from Abi's labels or cues that the writer never named, in a message that is no plain request:
    the only readings the situation head may overrule."""
    if reading.primary == "neutral" or reading.named or is_plain_request(text):
        return False
    return strongest(named_feelings(text)) is None and not _NAMES_STRESS.search(text)


def with_second_opinion(reading: EmotionReading, text: str, feeling: tuple[str, float] | None) -> EmotionReading:
    """The reading, or the situation head's feeling when the head is sure of it (`SECOND_OPINION`) and it is of
    another family. Abi's labels were learnt from short Reddit comments and the cues from the first tuning sets; a
    feeling nobody named ("the taxi seat was sticky, slightly gross") is where both go wrong in other styles, and what
    the head, fitted on situations written from the groups' definitions, reads best. A painful reading is overruled
    only by another painful feeling ("great, just great, my car broke down again" reads as joy to the head). The
    intensity stays as read. For a reading `needs_second_opinion` admits: the caller asks it once, before it fetches
    the vector the head reads (0.2 ms of regular expressions, not to be run twice per message)."""
    if feeling is None:
        return reading
    group, probability = feeling
    if probability < SECOND_OPINION or group in families(reading.primary):
        return reading
    primary = (
        _SURPRISE_AS["bad" if reading.polarity < 0 else "good"] if group == "surprise" else to_persona_emotion(group)
    )
    if primary is None or (reading.negative and primary not in NEGATIVE):
        return reading  # cheer must never meet pain: a painful reading is never overruled by a happy one
    if primary == "frustrated" and tells_a_close_one_is_ill(text):
        return reading  # "I think my cat is sick" is a worry or a sorrow, not a grievance
    intensity = reading.intensity or _put(text, round(0.3 + 0.3 * probability, 3))
    scores = {**reading.scores, primary: round(probability, 3)}
    return EmotionReading(primary, intensity, scores, reading.polarity, "situation")


@cache
def families(primary: str) -> frozenset[str]:
    """The Ekman groups a persona emotion answers to: those with a GoEmotions member that folds into it (excitement
    is joy's, surprise folds into it too; anger's and disgust's fold into frustration), and joy for gratitude."""
    groups = {group for group, members in EKMAN.items() if any(to_persona_emotion(m) == primary for m in members)}
    return frozenset(groups | ({"joy"} if primary == "grateful" else set()))


def _painful(reading: EmotionReading, text: str) -> EmotionReading | None:
    """A neutral reading of a statement whose GoEmotions labels still hold a painful feeling (at least 0.5), read
    as that feeling. The Ekman head can call "I feel like nobody at work respects me" neutral while the labels say
    disappointment, and the sentiment lexicon reads "respects" as good news: cheer must never meet pain."""
    pain = _pain(reading.scores) if reading.primary == "neutral" else {}
    if not pain:
        return None
    primary = max(pain, key=lambda label: pain[label])
    return EmotionReading(primary, round(_put(text, pain[primary]), 3), reading.scores, reading.polarity, "routing")


def _pain(scores: dict[str, float]) -> dict[str, float]:
    """The painful feelings among Abi's labels that are clearly there (0.5 or more): the ones to answer to."""
    return {label: score for label, score in scores.items() if label in NEGATIVE and score >= 0.5}


def _neutral(scores: dict[str, float]) -> dict[str, float]:
    """A neutral reading's scores: what Abi found, less what only asking reads as."""
    return {"neutral": 1.0, **{label: score for label, score in scores.items() if label not in ASKING}}


def _only_asking(primary: str, text: str) -> bool:
    """A calm question read as curiosity or confusion: asking is not a feeling ("Which is better for a
    beginner, Python or JavaScript?"), unless the writer says they are confused."""
    return primary in ASKING and is_plain_request(text) and not _SAYS_CONFUSED.search(text)


def _family(routing: persona_pb2.RoutingDecision) -> str:
    """The Ekman group of the feeling: of the groups Abi found present, a negative one first (it is the one to
    answer to: cheer must never meet pain), then the strongest real feeling, then neutral."""
    present = sorted(routing.ekman_emotions, key=lambda e: -e.score)
    feelings = [e.label for e in present if e.label in EKMAN and e.label != "neutral"]
    negative = [label for label in feelings if label in NEGATIVE_GROUPS]
    if feelings:
        return (negative or feelings)[0]
    return "neutral" if any(e.label == "neutral" for e in present) else ""


def _as_relieved(reading: EmotionReading, text: str) -> EmotionReading:
    """Good news that ends or eases a scare ("they caught it early though", "the scan came back clear") is relief,
    read as happiness put clearly: Abi's labels read the worry or the annoyance around it."""
    if not tells_relief(text) or reading.primary == "happy" or speaks_of_a_death(text):
        return reading  # relief that a death ended suffering is no good news
    named = strongest(named_feelings(text))
    if named is not None and named.group in NEGATIVE_GROUPS:
        return reading  # "it's not serious but I'm still terrified": the fear they name is what to answer
    felt = max(0.5, reading.scores.get("happy", 0.0))
    return EmotionReading(
        "happy", max(0.5, reading.intensity), {**reading.scores, "happy": felt}, reading.polarity, reading.source
    )


# A threat made in jest ("I'm going to kill my sister if she touches my laptop again lol"): the laughter reads as
# joy, and the happy templates would say the threat back as good news. Moderation decides whether it is meant; to
# Abbey it is exasperation, put mildly.
_THREAT_IN_JEST = re.compile(
    r"\b(?:going to|gonna|will|i'?ll|could|want to|wanna)\s+(?:literally\s+)?(?:kill|murder|strangle|throttle|"
    r"smack|punch|slap|kick|hurt)\s+(?:him|her|them|you|my\s+\w+)\b",
    re.IGNORECASE,
)


def _praise_around_bad_news(text: str) -> bool:
    """Words of praise standing alone at the start or end of a message whose other words tell bad news: "great, just
    great, my car broke down again" (Abi: admiration 0.98). "Great news, I passed!" tells none, so it stays good."""
    opening, closing = _PRAISE_OPENS.match(text), _closing(_PRAISE_CLOSES, text)
    if not opening and closing is None:
        return False
    rest = text[opening.end() if opening else 0 : len(text) if closing is None else closing]
    return bool(rest.strip()) and text_polarity(rest) <= _BAD_NEWS


# Sarcasm (services/abbey/README.md, "Sarcasm"): words of praise, luck, thanks or eagerness on the surface of a
# complaint. Said alone, these mark it whatever the rest says.
_SARCASM_MARKS = re.compile(
    r"[\U0001F643\U0001F644\U0001F612]|(?:^|\s)/s\b|\bslow clap\b|\bsaid no one ever\b|"
    r"\bwhat could (?:possibly )?go wrong\b|\bbecause that always works\b|\byeah,? right\b|"
    r"^\W*(?:oh\s+)?sure,?\s+because\b|^\W*oh right,?\s+because\b",
    re.IGNORECASE,
)
_SURFACE_FORMS = re.compile(
    r"\b(?:lucky me|so lucky|just my luck|truly blessed|love (?:getting|that|it when|being|how)|my favou?rite\b|"
    r"(?:so|super|very|really|i am|i'm) (?:excited|happy|thrilled|stoked|glad|delighted) (?:to|for|that|about)|"
    r"can'?t wait to|(?:really |very much )?looking forward to|great news|thanks a (?:lot|bunch|million)|"
    r"much obliged|(?:that|it) went (?:well|great)|nailed it|best day ever)",
    re.IGNORECASE,
)
# The surface's words, taken out before the situation head reads what happened ("Fantastic, the dog ate my
# homework" -> ", the dog ate my homework").
_SURFACE_PRAISE = re.compile(
    r"\b(?:great|fantastic|brilliant|wonderful|perfect|lovely|awesome|marvell?ous|super|terrific|nice|excellent|"
    r"splendid|delightful|amazing|beaut|sweet|cool|yay|woo+hoo+|hooray|love|loving|my favou?rite|lucky|luck|blessed|"
    r"thrilled|stoked|happy|excited|can'?t wait|looking forward|best day ever|nailed it|went (?:well|great)|"
    r"good news|good|very (?:good|nice|well)|thanks a (?:lot|bunch|million)|much obliged|cheers|thank you|thanks|"
    r"fun|joy|oh boy|truly|delighted|glad)\b|[\U0001F642\U0001F389\U0001F600\U0001F604\U0001F601]",
    re.IGNORECASE,
)
# A smile or a heart says the praise is meant ("found my favourite mug :)").
_SMILE = re.compile(r"[:;]-?\)|[\U0001F60A\U0001F970\U0001F973\u2764]")
# How sure the situation head must be that what is left is painful, and at most how sure that it is joy (picked on
# the tuning rows: services/abbey/README.md, "Sarcasm").
SARCASM_PAIN = 0.4
SARCASM_JOY = 0.3


def may_be_sarcasm(reading: EmotionReading, text: str) -> bool:
    """A happy, excited or grateful reading of a message marked as sarcasm, or with praise where sarcasm puts it:
    the only readings `read_sarcasm` may turn (the caller asks once, before it fetches the vector of the rest)."""
    if reading.primary not in ("happy", "excited", "grateful"):
        return False
    if _SARCASM_MARKS.search(text):
        return True
    surface = _SURFACE_OPENS.search(text) or _closing(_SURFACE_CLOSES, text) is not None or _SURFACE_FORMS.search(text)
    return bool(surface) and not _SMILE.search(text)


def without_surface_praise(text: str) -> str:
    """What happened, without the words of praise around it: what the situation head reads for sarcasm."""
    return " ".join(_SARCASM_MARKS.sub(" ", _SURFACE_PRAISE.sub(" ", text)).split())


def what_sarcasm_tells(text: str) -> str:
    """The message without the praise before or after it and without a mark: what is said back ("Fantastic, the dog
    ate my homework" -> "the dog ate my homework")."""
    told = _SURFACE_OPENS.sub("", _SARCASM_MARKS.sub(" ", text))
    closing = _closing(_SURFACE_CLOSES, told)
    told = told if closing is None else told[:closing]
    return " ".join(told.split()) or text


def read_sarcasm(reading: EmotionReading, text: str, pain: Pain | None) -> EmotionReading:
    """A good-news reading of praise said over a complaint (one `may_be_sarcasm` admits: the caller asks it once,
    before it fetches the vector), read as the complaint: the situation head's painful feeling in what is left when it
    is sure enough of pain and not of joy, or frustration where a mark says sarcasm outright; put mildly, as sarcasm
    puts it. "Yay, more overtime this weekend!" and "Fantastic, the dog ate my homework" had been cheered: the
    sentiment lexicon finds no bad news in them."""
    if pain is not None and pain.probability >= SARCASM_PAIN and pain.joy <= SARCASM_JOY:
        primary = to_persona_emotion(pain.group) or "frustrated"
    elif _SARCASM_MARKS.search(text):
        primary = "frustrated"
    else:
        return reading
    scores = {**reading.scores, primary: max(reading.scores.get(primary, 0.0), 0.5)}
    return EmotionReading(primary, MILD, scores, min(reading.polarity, 0.0), "sarcasm", reading.named)


def _not_amused_by_threats(reading: EmotionReading, text: str) -> EmotionReading:
    """A happy or excited reading of a threat in jest, or of praise said around bad news, is mild frustration: never
    cheered."""
    if reading.primary not in ("happy", "excited") or not (
        _THREAT_IN_JEST.search(text) or _praise_around_bad_news(text)
    ):
        return reading
    scores = {**reading.scores, "frustrated": max(reading.scores.get("frustrated", 0.0), 0.5)}
    return EmotionReading("frustrated", MILD, scores, min(reading.polarity, 0.0), reading.source, reading.named)


def _as_named(reading: EmotionReading, named: NamedFeeling | None, text: str) -> EmotionReading:
    """The reading, deferring to a feeling the writer names: its family when the models read another one
    ("I'm absolutely livid" read as joy), and how strongly it is put ("slightly irked" is mild, "seething"
    strong, whatever the model's certainty)."""
    if named is None:
        return reading
    primary = named.emotion
    if named.group == "surprise":
        primary = _SURPRISE_AS["bad" if reading.polarity < 0 else "good"]
    if primary == reading.primary or (named.group == "surprise" and reading.primary in ("excited", "curious")):
        primary = reading.primary  # the same feeling: the model's nuance stays
    if named.group == "surprise" and _exasperated(reading, text):
        primary = "frustrated"  # "can't believe I have to work this weekend again": exasperation, not news
    if named.strength == "mild":
        intensity = MILD
    elif named.strength == "strong":
        intensity = max(reading.intensity, STRONG)
    else:
        # A plain word ("sad", "worried", "feel like crying") is not the mild tier ("Oh, that's a shame"), unless played
        # down ("a bit sad"): `_put` keeps that.
        intensity = _put(text, max(reading.intensity, CLEAR if primary == reading.primary else 0.45))
    scores = {**reading.scores, primary: max(reading.scores.get(primary, 0.0), 0.6)}
    source = reading.source if primary == reading.primary else "own"
    return EmotionReading(primary, round(min(1.0, intensity), 3), scores, reading.polarity, source, named=True)


def _exasperated(reading: EmotionReading, text: str) -> bool:
    """Disbelief at something that happened again, with no good news in the words: exasperation."""
    return bool(_AGAIN.search(text)) and reading.polarity <= 0 and all(f.group != "joy" for f in named_feelings(text))


def _as_written(reading: EmotionReading, named: NamedFeeling | None, text: str) -> EmotionReading:
    """The reading, deferring to what the words say: a feeling named (`_as_named`), news told in disbelief
    (`_with_disbelief`), a threat that is no joke (`_not_amused_by_threats`), a death told (`_in_mourning`)."""
    return _in_mourning(
        _not_amused_by_threats(_with_disbelief(_as_named(reading, named, text), named, text), text), text
    )


def _with_disbelief(reading: EmotionReading, named: NamedFeeling | None, text: str) -> EmotionReading:
    """A painless reading of a message that names no feeling but says a statement twice ("my cat can open doors??"),
    as a surprise, as strongly as it is written; a painful one keeps its feeling ("the rent went up AGAIN??")."""
    if named is not None or reading.negative or not (doubt := told_in_disbelief(text)):
        return reading
    return _as_named(reading, NamedFeeling("surprise", "plain", doubt), text)


def _in_mourning(reading: EmotionReading, text: str) -> EmotionReading:
    """The reading of a message that tells someone close died ("Grandpa's gone.", read 0.04 from two words): sad at
    least at the clear tier, unless played down; another painful feeling it names or shows stays."""
    if not tells_a_close_one_died(text) or (reading.negative and reading.primary != "sad"):
        return reading
    intensity = round(min(1.0, _put(text, max(reading.intensity, CLEAR))), 3)
    scores = {**reading.scores, "sad": max(reading.scores.get("sad", 0.0), 0.6)}
    return replace(reading, primary="sad", intensity=intensity, scores=scores)


def _as_stressed(reading: EmotionReading, text: str) -> EmotionReading:
    """A painful reading of a message whose writer says they are stressed, read as stress, put as they put it."""
    intensity = round(min(1.0, _put(text, max(reading.intensity, 0.45))), 3)
    scores = {**reading.scores, "stressed": max(reading.scores.get("stressed", 0.0), 0.6)}
    return EmotionReading("stressed", intensity, scores, reading.polarity, "own", named=True)


def _put(text: str, intensity: float) -> float:
    """The intensity as the writer put it: played down, emphasised, or as read."""
    if _DOWNTONERS.search(text):
        return min(intensity, MILD)
    if EMPHASIS.search(text):
        return max(intensity, STRONG)
    return intensity


def _tells_a_loss(text: str) -> bool:
    lowered = " " + re.sub(r"\s+", " ", text.lower()) + " "
    return any(_has_cue(lowered, cue) for cue in _LOSS)


def _has_cue(lowered: str, cue: str) -> bool:
    """The cue is in the text and not negated ("not worried", "don't hate it")."""
    if cue.strip() not in lowered:
        return False  # most cues: no regex at all
    if cue.endswith(" ") or " " in cue.strip():
        starts = [m.start() for m in re.finditer(re.escape(cue), lowered)]
    else:
        starts = [m.start() for m in re.finditer(r"\b" + re.escape(cue), lowered)]
    return any(not negated(words_before(lowered, start)) for start in starts)


def _primary(scores: dict[str, float]) -> str:
    """The strongest emotion; a negative one wins a tie or near-tie, because it is the one to answer to. At a tie
    the hurt comes before bewilderment ("my sister hasn't spoken to me ... and I don't know what I did")."""
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0] == "confused", item[0]))
    best, best_score = ranked[0]
    if best in ("neutral", "curious", "happy"):
        for label, score in ranked[1:]:
            if label in NEGATIVE and score >= best_score - 0.1 and score >= 0.3:
                return label
    if best == "neutral":
        for label, score in ranked[1:]:
            if score >= 0.35:
                return label
    return best
