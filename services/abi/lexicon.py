"""Regular-expression cues for the policy categories: the evidence that needs no vector.

They back up the learned heads (and stand alone when the embedding index is
down). Each pattern targets what a category means, not one dataset's wording:
first-person self-harm, threats with a target, requests to build mass-harm
weapons or malware, instructions aimed at the assistant (also inside pasted
documents), sexual content involving minors, dehumanising statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IC = re.IGNORECASE


@dataclass(frozen=True)
class LexicalHit:
    category: str
    start: int
    end: int
    strength: float  # 0..1, how decisive the cue is on its own
    note: str


_SELF = r"(?:\bi\b|\bi'm\b|\bim\b|\bi've\b|\bive\b|\bme\b|\bmy\b|\bmyself\b)"
SELF_HARM = [
    # Self-injury methods and eating-disorder behaviours, in the first person.
    (
        re.compile(
            r"\b(burn(ing)?|hit(ting)?|scratch(ing)?|bruis(e|ing)|punch(ing)?|bit(e|ing)|starv(e|ing))\s+(my|myself)"
            r"\s*(own\s+)?(skin|arms?|legs?|wrists?|thighs?|body|self)?\b[^.?!]{0,40}\b(control|punish|feel|hurt|pain|"
            r"numb|deserve|stop)|\b(make myself (throw up|vomit|starve)|purg(e|ing) after|stop eating (for|until)|"
            r"(ribs|ribcage|hip ?bones|collarbones?) (to )?(stick|show|poke) out|so skinny that|thinspo|pro-?ana)\b",
            IC,
        ),
        0.75,
    ),
    (
        re.compile(
            r"\b(kill(ing)?|hurt(ing)?|harm(ing)?|cut(ting)?|starv(e|ing)|hang(ing)?|poison(ing)?|shoot(ing)?)\s+"
            r"(myself|my\s?self)\b",
            IC,
        ),
        0.95,
    ),
    (re.compile(rf"{_SELF}[^.?!]{{0,60}}\b(suicid\w*|self[- ]?harm\w*|overdos\w*)", IC), 0.85),
    (
        re.compile(
            r"\b(suicide note|commit suicide|take my (own )?life|end(ing)? my life|end it all|ending it all)\b", IC
        ),
        0.9,
    ),
    (re.compile(r"\b(don'?t|do not|no longer|never) want to (live|be alive|exist|wake up)\b", IC), 0.9),
    (re.compile(r"\b(want|wanna|planning|plan) to die\b", IC), 0.8),
    (re.compile(r"\bbetter off (dead|without me)\b|\bno (reason|point) (to|in) (live|living|going on)\b", IC), 0.85),
    (re.compile(r"\b(never wake up|not wake up)\b", IC), 0.6),
    (
        re.compile(
            r"\b(no|don'?t see (the|any)) point (in )?(going on|living|being alive|anymore)\b|\btired of (living|being "
            r"alive|life)\b|\bpainless(ly)? (way to )?(die|death)\b|\bgoodbye (letters?|notes?) to\b",
            IC,
        ),
        0.8,
    ),
    (
        re.compile(
            r"\b(jump(ing)? off (the|a) (bridge|roof|building)|pills? (saved|stockpiled)|take them all|"
            r"disappear(ed)? forever|slit my wrists?|hang myself)\b",
            IC,
        ),
        0.75,
    ),
    (re.compile(r"\b(quiero morir(me)?|me quiero matar|je veux mourir|ich will sterben|voglio morire)\b", IC), 0.9),
]

THREAT = [
    (
        re.compile(
            r"\b(i'?m|i am|i will|i'll|ima|i'm gonna|im gonna|i'm going to|im going to|we will|we'll|we're going to)\s+"
            r"(going to\s+|gonna\s+)?(kill|murder|shoot|stab|hurt|beat|attack|bomb|burn|strangle|rape|kidnap|poison|"
            r"slaughter|execute|behead|torture)\s+(you|him|her|them|my|his|their|everyone|every|all|the|those|that|"
            r"people|anyone|somebody|some)\b",
            IC,
        ),
        0.85,
    ),
    (
        re.compile(
            r"\bi know where you live\b|\bwatch your back\b|\byou('re| are) (going to|gonna) (die|pay|regret)\b", IC
        ),
        0.85,
    ),
    (
        re.compile(
            r"\b(should|deserve to|must|need to) (all )?(be )?(die|killed|shot|hanged|exterminated|gassed|wiped out|"
            r"burned|lynched)\b",
            IC,
        ),
        0.8,
    ),
    (
        re.compile(
            r"\b(bring|bringing|take|taking) (a |my )?(gun|rifle|knife|bomb|weapon)s? (to|into) (school|work|church|"
            r"the office|the mosque|the synagogue|class)\b",
            IC,
        ),
        0.9,
    ),
    (
        re.compile(
            r"\bthreaten(ing)? (to )?(hurt|kill|harm|rape|attack)\b|\b(run|drive|ram|plow) (my|a|the) (car|truck|"
            r"van) (into|through) (the )?(crowd|protest\w*|people|pedestrians|march)",
            IC,
        ),
        0.85,
    ),
    (
        re.compile(
            r"\b(plan|help me plan|how (do|can|could|would) i|i (want|wanna|need) to|i'?m going to)\b[^.?!]{0,40}"
            r"\b(kill|murder|poison|kidnap|attack|shoot|stab)\b[^.?!]{0,20}\b(my|the|a|an|his|her|their)\s+(neighbou?r|wife|husband|boss|coworker|"
            r"teacher|ex|roommate|child|kid|family|classmates?|people|person|mom|dad|mother|father|brother|sister|"
            r"girlfriend|boyfriend)\b",
            IC,
        ),
        0.9,
    ),
]

_MASS_HARM = (
    r"(pipe ?bomb|bombs?|explosives?|ied|detonator|nerve agent|sarin|\bvx\b|ricin|anthrax|botulinum|"
    r"mustard gas|chemical weapons?|bio ?weapons?|biological weapons?|dirty bomb|nuclear (weapon|bomb)|"
    r"weapons?[- ]grade|napalm|thermite|toxic gas|poison gas|nerve gas|methamphetamine|untraceable gun|"
    r"ghost gun|molotov)"
)
_MALWARE = (
    r"(ransomware|keylogger|key logger|malware|computer virus|polymorphic virus|\bvirus\b|\bworm\b|trojan|"
    r"botnet|rootkit|credential stealer|password stealer|spyware|stalkerware|ddos|exploit code|phishing "
    r"(email|page|site|kit)|fake login page|zero[- ]day exploit)"
)
_MAKE = (
    r"(make|making|build|building|synthesi[sz]e|produce|create|cook|manufacture|culture|weaponi[sz]e|assemble|"
    r"write|code|develop|program|deploy|spread|enrich|3d print|give me|recipe for|instructions (for|to)|"
    r"step[- ]by[- ]step|teach me)"
)
DANGEROUS = [
    (re.compile(rf"\b{_MAKE}\b[^.?!]{{0,60}}\b{_MASS_HARM}", IC), 0.85),
    # The same request with the weapon first: "the easiest nerve agent to make at home".
    (
        re.compile(
            rf"\b{_MASS_HARM}\b[^.?!]{{0,30}}\b(to|can i|could i|should i)\s+(make|build|synthesi[sz]e|produce|"
            rf"cook|culture|brew|assemble)\b",
            IC,
        ),
        0.8,
    ),
    (re.compile(rf"\b{_MAKE}\b[^.?!]{{0,60}}\b{_MALWARE}", IC), 0.75),
    (
        re.compile(
            r"\b(mix|combine)\b[^.?!]{0,40}\b(chemicals?|bleach|ammonia)\b[^.?!]{0,60}\b(hurt|kill|poison|"
            r"toxic|harm)\b",
            IC,
        ),
        0.8,
    ),
]
# Phrases that turn a match into education or defence ("what is ransomware", "protect against").
DANGEROUS_BENIGN = re.compile(
    r"\b(what (is|are|was|were)|history of|protect|defend|prevent|detect|remove|get rid of|banned|"
    r"how (does|do|did) (a|an|the)?\s*\w+ (work|spread|stop)|signs of|infected with|recover from)\b",
    IC,
)

INJECTION = [
    (
        re.compile(
            r"\b(ignore|disregard|forget|override|bypass|skip)\b[^.?!\n]{0,40}\b(previous|prior|above|earlier|"
            r"preceding|original|initial|all|any|your|the)\b[^.?!\n]{0,20}\b(instructions?|prompts?|rules|"
            r"directions|guidelines|polic(y|ies)|restrictions|programming|constraints|context)\b",
            IC,
        ),
        0.9,
    ),
    (re.compile(r"\b(forget|ignore) (everything|all)( (you were told|above|before|that came before))?\b", IC), 0.7),
    (
        re.compile(
            r"\b(you are|you're|act as|pretend (to be|you are|you're)|from now on,? you (are|will))\b[^.?!\n]{0,60}"
            r"\b(DAN|do anything now|jailbr[o0]ken|unfiltered|uncensored|unrestricted|amoral|no (rules|restrictions|"
            r"limits|filters|guidelines)|without (any )?(restrictions|limits|filters|rules|guidelines))",
            IC,
        ),
        0.9,
    ),
    (
        re.compile(
            r"\b(no longer|not) an? (ai|assistant|language model)\b|\bnever refuses?\b|\brepeat (the|all|"
            r"everything)( of the)? (text|words|lines|above)\b",
            IC,
        ),
        0.75,
    ),
    (
        re.compile(
            r"\b(developer mode|jailbreak(ed)?|do anything now|\[insert prompt here\]|system override|"
            r"god mode enabled|dan mode)\b",
            IC,
        ),
        0.8,
    ),
    (
        re.compile(
            r"\b(reveal|print|show|repeat|output|leak|disclose|tell me|display|recite|dump|write out|spell out|"
            r"list)\b[^.?!\n]{0,30}\b(your|the|my|all|these|those)?\s*(system|initial|hidden|original|secret|"
            r"previous|full|pre-?)\s*(prompt|instructions?|rules|configuration|password|key)",
            IC,
        ),
        0.8,
    ),
    (re.compile(r"(?im)^\s*(system|assistant)\s*:\s*(new|updated|you|the assistant|ignore|override)", IC), 0.75),
    (
        re.compile(
            r"\b(note|message|instruction|instructions) (to|for) (the )?(ai|assistant|model|llm|chatbot|"
            r"screener|language model)s?\b|\b(ai|assistant|chatgpt|model|llm)[,:]\s*(ignore|disregard|forget|stop|"
            r"you (must|will|are now))\b|\bnew (task|instructions?)\s*:",
            IC,
        ),
        0.8,
    ),
]
# A message that carries a pasted document: an injection inside it is indirect.
DOCUMENT_CONTEXT = re.compile(
    r"\b(summari[sz]e|translate|proofread|analy[sz]e|extract|review|check|shorten|rewrite|what does)\b[^\n]{0,60}"
    r"(this|the following|these|below)|---|```|\"\"\"|<!--|^>|\n\s*\n",
    IC | re.MULTILINE,
)

_MINOR = (
    r"(child|children|kid|kids|minor|minors|underage|under-age|preteen|pre-teen|toddler|little (girl|boy)|"
    r"school ?girl|school ?boy|\b(1[0-7]|[1-9])[- ]?(yo|y/o|years?[- ]old)\b|loli|shota)"
)
_SEXUAL = r"(sex|sexual|sexy|nude|naked|erotic|porn|pornographic|explicit|lewd|nsfw|fetish|aroused|intercourse)"
_CONTENT_REQUEST = (
    r"(write|generate|create|describe|role-?play|story|stories|pics?|pictures?|images?|photos?|videos?|"
    r"show me|send me|draw|fantas(y|ies)|find me|where can i (get|find|buy))"
)
SEXUAL_MINORS = [
    # Asking for sexual content about minors: blocked.
    (
        re.compile(
            rf"\b{_CONTENT_REQUEST}\b[^.?!]{{0,60}}(\b{_SEXUAL}\w*\b[^.?!]{{0,60}}\b{_MINOR}|\b{_MINOR}\b"
            rf"[^.?!]{{0,60}}\b{_SEXUAL})",
            IC,
        ),
        0.95,
    ),
    # Co-occurrence alone (a parent writing about their child and their own sex life) is weak evidence only.
    (re.compile(rf"\b{_SEXUAL}\w*\b[^.?!]{{0,40}}\b{_MINOR}|\b{_MINOR}\b[^.?!]{{0,40}}\b{_SEXUAL}", IC), 0.2),
]
SEXUAL_MINORS_BENIGN = re.compile(
    r"\b(talk to|explain to|teach|educat\w*|protect\w*|prevent\w*|report\w*|warning signs|abuse (prevention|hotline)|"
    r"sex ed|puberty|pediatrician|consent education|how do i tell)\b",
    IC,
)

HATE = [
    (
        re.compile(
            r"\b(are|is|being)\s+(all\s+)?(such\s+)?(vermin|parasites?|cockroaches|rats|subhuman|sub-human|animals|"
            r"filth|scum|a plague|a disease|a cancer|savages|inferior|worthless|garbage|trash|pests?|"
            r"not (even )?human)\b",
            IC,
        ),
        0.55,
    ),
    (
        re.compile(
            # A group as the target: "wipe them all out", "exterminate those people" (not "Skynet wiped out humanity").
            r"\b(wipe|wiped|exterminate|exterminated|gas|gassed|eradicate|purge|cleanse)\s+(them|those people|"
            r"these people|all of them|every one of them)\b",
            IC,
        ),
        0.6,
    ),
]

# Groups protected by hate-speech policies (identity, not opinion or behaviour).
_GROUP = (
    r"(women|woman|girls|men who love men|immigrants?|refugees?|migrants?|muslims?|jews?|jewish people|christians?|"
    r"hindus?|sikhs?|black people|blacks|asians?|arabs?|latinos?|mexicans?|gay people|gays|lesbians?|"
    r"bisexuals?|trans people|transgender people|trans women|trans men|disabled people|the disabled|"
    r"people with disabilities|autistic people|gypsies|roma|indigenous people|natives)"
)
GROUP_HATE = [
    (
        re.compile(
            rf"\b(hate|despise|loathe|detest|abhor|can'?t stand|contempt for|disgusted by|sick of|nothing but "
            rf"(contempt|hatred|disgust) for)\s+(all\s+|those\s+|these\s+|every\s+)?{_GROUP}\b(?!\s+(are being|being|"
            rf"getting|who are being)\b)",
            IC,
        ),
        0.6,
    ),
    (
        re.compile(
            rf"\b{_GROUP}\s+(are|is)\s+(all\s+)?(such\s+)?(a\s+)?(vermin|parasites?|animals|rats|subhuman|scum|filth|"
            rf"disgusting|a plague|a disease|a cancer|savages|inferior|worthless|garbage|trash|pests?|the worst|"
            rf"evil)\b",
            IC,
        ),
        0.7,
    ),
    (
        re.compile(
            rf"\b(those|these|all|the)\s+{_GROUP}\s+(were|are|should be|must be|get|got|to be)\s+(eradicated|"
            rf"exterminated|wiped out|gassed|eliminated|killed|deported|hanged|shot|removed)\b|\b(end|take)\s+every\s+"
            rf"\w+'?s?\s+li(fe|ves)\b",
            IC,
        ),
        0.8,
    ),
]

HARASSMENT = [
    (re.compile(r"\b(go (die|rot|kill yourself)|kys|nobody (will ever )?loves? you|everyone hates you)\b", IC), 0.7),
    (
        re.compile(
            r"\b(bully|harass|humiliate|dox|torment)\w*\b[^.?!]{0,40}\b(until|so (that )?(she|he|they)|kid|classmate|"
            r"coworker|girl|boy|him|her|them)\b",
            IC,
        ),
        0.7,
    ),
]

CATEGORY_PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "self_harm": SELF_HARM,
    "violent_threat": THREAT,
    "dangerous": DANGEROUS,
    "prompt_injection": INJECTION,
    "sexual_minors": SEXUAL_MINORS,
    "hate": HATE + GROUP_HATE + HARASSMENT,
}
# Words before a cue that make it fear, regret or a report rather than intent ("I'm afraid I will hurt him").
HEDGED = re.compile(
    r"\b(afraid|worried|scared|fear|terrified|might|what if|don'?t want to|would never|as a (kid|child)|"
    r"when i was|was (abused|molested|assaulted)|he said|she said|they said|told me)\b",
    IC,
)


def lexical_hits(text: str) -> list[LexicalHit]:
    """Every cue found in `text` (the first LEXICON_MAX_CHARS characters and the last ones)."""
    hits: list[LexicalHit] = []
    for category, patterns in CATEGORY_PATTERNS.items():
        for pattern, strength in patterns:
            for match in pattern.finditer(text):
                hits.append(LexicalHit(category, match.start(), match.end(), strength, pattern.pattern[:40]))
                break
    benign_danger = DANGEROUS_BENIGN.search(text)
    benign_minor = SEXUAL_MINORS_BENIGN.search(text)
    out = []
    for hit in hits:
        if hit.category in ("violent_threat", "sexual_minors", "hate"):
            sentence_start = max(
                text.rfind(".", 0, hit.start), text.rfind("?", 0, hit.start), text.rfind("!", 0, hit.start)
            )
            if HEDGED.search(text, sentence_start + 1, hit.end):
                hit = LexicalHit(hit.category, hit.start, hit.end, hit.strength * 0.3, hit.note)
        if hit.category == "dangerous" and benign_danger and hit.strength < 0.95:
            hit = LexicalHit(hit.category, hit.start, hit.end, hit.strength * 0.4, hit.note)
        if hit.category == "sexual_minors" and benign_minor:
            hit = LexicalHit(hit.category, hit.start, hit.end, hit.strength * 0.3, hit.note)
        out.append(hit)
    return out


def has_document_context(text: str) -> bool:
    return bool(DOCUMENT_CONTEXT.search(text))
