"""Abbey's behaviour: crisis first; read the feeling across the session; recall facts; gather knowledge; reason;
compose; remember what the person told about themselves."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2, persona_service_pb2
from services.abbey import hashtags
from services.abbey.compose import AbbeyMaterial, compose_draft, system_prompt
from services.abbey.conversation import conversation_so_far, event_in_context, last_user_turn, tells_new_subject
from services.abbey.emotion import (
    EmotionReader,
    EmotionReading,
    from_situation,
    may_be_sarcasm,
    needs_second_opinion,
    read_sarcasm,
    tells_a_situation,
    what_sarcasm_tells,
    with_second_opinion,
    without_surface_praise,
)
from services.abbey.empathy import is_gratitude, plan_empathy, tone_for
from services.abbey.facts import extract_facts, preference_promise
from services.abbey.language import (
    Specifics,
    asks_for_something,
    asks_to_remember,
    extract,
    is_question,
    speaks_of_a_death,
    tells_a_memory,
    tells_of_someone_in_the_past,
)
from services.abbey.memory import (
    MEMORY_UNREACHABLE,
    NOBODY_TO_REMEMBER,
    FactMemory,
    answer_question,
    forgotten_answer,
    matching_facts,
    said_clause,
    told_in_conversation,
    told_whereabouts,
)
from services.abbey.mood import NEGATIVE, Mood, SessionMoods
from services.abbey.reasoning import ReasoningChain
from services.abbey.settings import AbbeySettings
from services.abbey.situation import SituationHead
from services.abbey.technical import STRONG_KNOWLEDGE, TechnicalHead, needs_steps
from services.common.calculation import calculation_in
from services.common.conversation import user_messages
from services.common.generation.focus import focus_query
from services.common.generation.grounding import (
    IndexCaller,
    Retrieved,
    embed,
    message_vector,
    search_knowledge,
    to_references,
)
from services.common.knowledge.answer import DocsAnswerer
from services.common.persona import PersonaLogic, Plan
from services.common.persona.about import about_plan, personas_asked_about
from services.common.persona.calculated import calculation_plan
from services.common.persona.forgetting import NOTHING_KEPT, asks_to_forget, forget_one_plan, forget_plan
from services.common.persona.small_talk import THANKS, SmallTalkHead, reply, small_talk_kind
from services.common.personal import MemoryQuestion, fact_to_forget, is_personal, memory_question
from services.common.registry import persona_enum
from services.common.registry.wire import persona_of
from services.common.safety import crisis
from services.common.safety.emergency import EmergencyHead, emergency_kind
from services.common.safety.head import LogisticHead
from services.common.safety.resources import ResourceTable
from services.common.text import split_sentences

_PASSAGES_SHOWN = 3  # the answering passages a technical answer draws on and cites
# The domain gate's probability from which an ask no passage answers gets no "closest pages": more likely not about
# software than about it (the gate's own line, under which Aviva answers, is set for declining at most 1% of software).
MORE_LIKELY_NOT_SOFTWARE = 0.5
# Feelings that call for a line of care before technical steps; being unsure or surprised ("a half-brother
# two streets away??") is not being under pressure.
DISTRESS = NEGATIVE - {"confused"}
_CALM = 0.3  # the session's earlier distress under which small talk is answered in kind over a crisis flag


class AbbeyLogic(PersonaLogic):
    """The empathetic polymath."""

    name = "abbey"

    def __init__(self, settings: AbbeySettings, index: IndexCaller) -> None:
        self.settings = settings
        self.index = index
        self.reader = EmotionReader()
        self.memory = FactMemory(index, settings.memory_k, settings.memory_min_score)
        self.moods = SessionMoods(settings.mood_decay)
        self.resources = ResourceTable(settings.crisis_resources_path, settings.crisis_default_region)
        self.emergency_head = EmergencyHead.load() if settings.emergency_head else None
        self.attempt_head = LogisticHead.read(crisis.ATTEMPT_HEAD_PATH) if settings.attempt_head else None
        self.situation_head = SituationHead.load() if settings.situation_head else None
        self.small_talk_head = SmallTalkHead.load() if settings.small_talk_head else None
        self.technical_head = TechnicalHead.load() if settings.technical_head else None
        self.docs = DocsAnswerer(settings, lazy=True)  # most of what Abbey is told needs no documentation

    def info(self, backend_name: str) -> persona_service_pb2.PersonaInfo:
        return persona_service_pb2.PersonaInfo(
            persona=persona_enum(self.name),
            persona_name=self.name,
            name="Abbey",
            description="An empathetic polymath: reads how you feel, remembers what you shared, explains with warmth.",
            strengths=[
                "emotional support",
                "personal and relationship advice",
                "explaining technical ideas with warmth",
                "remembering earlier conversations",
            ],
            temperature=self.settings.temperature,
            backend=backend_name,
        )

    async def warmup(self) -> None:
        await asyncio.to_thread(extract, "My dog and I went for a walk.")  # load the language pipeline
        await asyncio.to_thread(hashtags.load)  # the words a hashtag is split into

    async def plan(self, request: persona_pb2.PersonaRequest) -> Plan:
        # Words of self-harm make it a crisis whatever else is said; a flag from Abi alone may be an emergency.
        spoken = crisis.kind_of(request.content)
        risk_words = bool(spoken)
        kind = crisis.assess(request, spoken, self.settings.crisis_check_below)
        if not kind and (calculation := await calculation_in(request.content)) is not None:
            # "whats 72 f in celsius" had got a documentation passage about addition: computed, not looked up.
            plan = calculation_plan(calculation, "Abbey, a warm and knowledgeable assistant", self.settings.temperature)
            return _answered_plainly(plan)
        if not kind and (asked_about := personas_asked_about(request.content)):
            # "what is aviva?", "what can abi do?": the registry says.
            return _answered_plainly(about_plan(asked_about, self.name, self.settings.temperature, request.content))
        if not kind and asks_to_forget(request.content):
            # "please delete my data" had got `tr -d`'s manual: what is kept and how it is erased.
            return _answered_plainly(forget_plan(bool(request.user_id), self.settings.temperature))
        if not kind and (to_forget := fact_to_forget(request.content)) is not None and is_personal(to_forget):
            # "forget my dog's name" had been said back: the facts kept about it are deleted, and she says which.
            return _answered_plainly(await self._forget(request, to_forget))
        reading = self.reader.read(request)
        gratitude = is_gratitude(request.content)
        if gratitude and not kind:
            reading = _grateful(reading)
        state = self.moods.state(request.user_id, request.session_id)
        said = state.said | _earlier_sentences(request)
        # Small talk is answered in kind; over Abi's recall-first flag only when the message has no words of risk
        # and the conversation so far was not distressed ("see you tomorrow" after a chat about a film).
        talk = small_talk_kind(request.content)
        chat = "" if talk and (risk_words or (kind and state.distress >= _CALM)) else talk
        kind = "" if chat else kind
        # A goodbye, thanks or "never mind" soon after a crisis in this conversation keeps the concern open; so does
        # a bare reply Abi flags only from the conversation ("ok" after the crisis answer: not the question again).
        from_words = bool(kind) and risk_words
        earlier = (
            "" if from_words else crisis.earlier_crisis(request, state.crisis_kind, state.turns - state.crisis_turn)
        )
        follow_up = crisis.follow_up_of(request.content, talk, gratitude) if earlier else ""
        closing_kind = talk  # the small talk a follow-up answers in kind
        if follow_up:
            kind, chat = crisis.FOLLOW_UP, ""
        searched = focus_query(request.content) if self.settings.focus_query else request.content
        specifics, recall, retrieved = await asyncio.gather(
            asyncio.to_thread(extract, request.content),
            self.memory.recall(request.user_id, request.content),
            # Every message: its vector and nearest passage, which decide whether it needs steps (the documentation
            # search for the steps themselves runs only then, in `_answering`).
            search_knowledge(self.index, searched, k=1, min_score=STRONG_KNOWLEDGE),
        )
        vector: list[float] | None = None
        if (
            self.small_talk_head is not None
            and not talk
            and not kind
            and not risk_words
            and not follow_up
            and not gratitude
            and SmallTalkHead.may_read(request.content)
        ):
            # Small talk in words the list lacks ("nice one, that worked"): read by meaning, never over a crisis flag
            # or words of risk (`kind` is empty then only without both).
            vector = await message_vector(self.index, request.content, retrieved, searched)
            talk = self.small_talk_head.kind(vector)
            if talk == THANKS:
                gratitude, talk, reading = True, "", _grateful(reading)
            chat = talk
        # An emergency happening now comes before Abi's recall-first crisis flag when the message has no words of
        # self-harm (a collapse, a gas leak: not "are you thinking about ending your life?"); the crisis lines
        # follow the emergency number then. With words of self-harm the crisis answer, which gives the number too.
        # Both learned heads read the message's one vector (the search's, or one Embed for a long message).
        # A situation told without naming a feeling is read by the situation head (no feeling found, no small talk).
        situation = self.situation_head if reading.primary == "neutral" and not chat else None
        # A feeling nobody named is read by the same head too: where it is sure of another family, it decides.
        second = self.situation_head if not chat and needs_second_opinion(reading, request.content) else None
        wants_vector = (
            (self.emergency_head is not None and not risk_words)
            or (kind and self.attempt_head is not None)
            or situation is not None
            or second is not None
        )
        if wants_vector and vector is None:
            vector = await message_vector(self.index, request.content, retrieved, searched)
        if second is not None:
            reading = with_second_opinion(reading, request.content, second.feeling(vector))
        if self.situation_head is not None and not chat and not kind and may_be_sarcasm(reading, request.content):
            # Praise on the surface of a complaint: the head reads what happened without it (one Embed call).
            left = without_surface_praise(request.content)
            pain = self.situation_head.strongest_pain(await embed(self.index, left)) if left else None
            reading = read_sarcasm(reading, request.content, pain)
        new_subject = tells_new_subject(request.content, last_user_turn(request))
        if situation is not None:
            reading = from_situation(reading, request.content, situation.feeling(vector))
        happened = what_sarcasm_tells(request.content)
        if reading.negative and happened != " ".join(request.content.split()):
            # Said back: what happened, not the praise it was said in ("perfect timing and your car battery died").
            specifics = await asyncio.to_thread(extract, happened)
        if situation is not None:
            together = "" if new_subject or not tells_a_situation(request.content) else conversation_so_far(request)
            if reading.primary == "neutral" and together:
                # Neutral alone, upset in context: the head reads the last few messages as one (one Embed call).
                reading = from_situation(reading, request.content, situation.feeling(await embed(self.index, together)))
                if reading.primary != "neutral":  # say back what the feeling rests on, not only this fragment
                    told_before = await asyncio.to_thread(extract, last_user_turn(request))
                    specifics = event_in_context(specifics, told_before)
        if (
            not chat
            and not new_subject
            and self.moods.carried_pain(state) is not None
            and self.reader.unfounded_cheer(reading, request.content, specifics.achievement)
        ):
            # "I worked so hard for it" after a rejection (Abi: pride) had got "That's lovely to hear": with no good
            # news in its words the message is neutral, and the session's painful feeling carries over.
            reading = EmotionReading("neutral", 0.0, {"neutral": 1.0}, reading.polarity, reading.source)
        mood = self.moods.update(state, reading, new_subject)
        urgent = "" if risk_words else emergency_kind(request.content, self.emergency_head, vector)
        flagged_too = bool(urgent and kind)
        kind = "" if urgent else crisis.refine(kind, self.attempt_head, vector)  # an attempt now, in any words
        if kind and kind not in (crisis.CHECK, crisis.FOLLOW_UP):
            state.crisis_kind, state.crisis_turn = kind, state.turns
        question = asks_for_something(request.content)
        asked = memory_question(request.content) or told_whereabouts(request.content, recall.known or [])
        earlier_facts = await asyncio.to_thread(told_in_conversation, request) if asked else []
        if asked and not request.user_id:
            # Nothing is kept for a caller who named no user: only this conversation's own turns can answer.
            answerable = matching_facts(asked, earlier_facts)
            memory_answer = answer_question(asked, earlier_facts) if answerable else NOBODY_TO_REMEMBER
        elif asked and (recall.available or matching_facts(asked, earlier_facts)):
            memory_answer = answer_question(asked, earlier_facts + (recall.known or []))
        else:
            memory_answer = ""
        technical = (
            # Under a weak flag a question that needs steps gets them before the gentle check (`compose_draft`).
            kind in ("", crisis.CHECK)
            and not urgent
            and not chat
            and not memory_answer
            and not (gratitude and not question)  # "ok thank you for trying": thanks that ask nothing
            and not asks_to_remember(request.content)  # "can you remember that my wifi password is ...": told
            and needs_steps(request, reading, retrieved, question, self.technical_head)
        )
        if (
            technical
            and self.technical_head is not None
            and not new_subject
            and (together := conversation_so_far(request))
        ):
            # A follow-up is read in its conversation: "they caught it early though" after a diagnosis is no
            # exception caught, and "it still doesn't work" after a lost commit is still about git (one Embed call).
            technical = self.technical_head.fires(await embed(self.index, together))
        if mood.primary == "curious" and not question and specifics.achievement:
            # Surprise with no sentiment either way reads as curiosity; at something achieved it is good news
            # ("I passed my exams!!! can't believe it" came with Abi's surprise 0.96 and polarity 0).
            mood = replace(mood, primary="excited")
        elif (
            (mood.primary == "neutral" or reading.source == "situation")
            and not question
            and specifics.earned
            and reading.polarity >= 0
        ):
            # "I passed my driving test on the first try!!!" (Abi: neutral) had got "I appreciate you telling me"; an
            # achievement is excitement whatever feeling the situation head reads in it.
            mood = replace(mood, primary="excited", intensity=max(mood.intensity, 0.45))
        emotion = mood.primary
        distressed = emotion in DISTRESS and mood.intensity >= 0.35
        empathy = None
        # A question is met with feeling only when it carries one of its own: "do you have any tips for meeting
        # people?" after "I feel so lonely" had got "It's a shame about people", the earlier feeling pinned on
        # what was asked for.
        feels_in_asking = (
            mood.primary != "neutral" and reading.primary != "neutral" and reading.source != "conversation"
        )
        if (
            not kind
            and not urgent
            and not chat
            and not technical
            and (not question or feels_in_asking or memory_answer)
        ):
            mourning = _mourning(request)
            empathy = plan_empathy(
                emotion,
                mood.intensity,
                specifics if not question or emotion != "neutral" else Specifics(),
                request.content,
                said,
                brief=recall.preferences.get("brevity") == "short",
                heard=gratitude and _thanks_for_being_heard(request),
                remembering=emotion in ("happy", "excited") and _remembers_someone_who_died(request, mourning),
                mourning=mourning,
            )
            if emotion == "neutral" and (question or not specifics.event):
                empathy = None if not memory_answer else empathy
        resources = self.resources.for_request(request) if kind or urgent else None
        # An instruction may tell a fact ("Please remember this: my locker code is 4417"); a question does not.
        told = not kind and (not is_question(request.content) or asks_to_remember(request.content))
        facts = (
            await asyncio.to_thread(extract_facts, request.content, emotion=emotion, intensity=mood.intensity)
            if told
            else []
        )
        introduced = next((f.value for f in facts if f.kind == "self" and f.key == "name"), "")
        promise = preference_promise(facts)  # a preference told: how she answers from now on, not a feeling
        answering, closest = await self._answering(searched, request.content) if technical else ([], [])
        material = AbbeyMaterial(
            content=request.content,
            emotion=emotion,
            intensity=mood.intensity,
            trend=mood.trend,
            # A weak flag (crisis.CHECK) is answered in the tone of what was said; a crisis is met with support.
            tone=persona_pb2.TONE_WARM
            if chat and not urgent
            else tone_for(
                emotion,
                mood.intensity,
                crisis=bool(urgent or (kind and kind != crisis.CHECK)),
                question=question,
                named=reading.named,
            ),
            crisis_kind=kind,
            crisis_paragraphs=crisis.compose_follow_up(
                follow_up, earlier, request, resources, said, closing_kind, gratitude
            )
            if kind == crisis.FOLLOW_UP and resources
            else crisis.compose(
                kind,
                request,
                resources,
                said,
                specifics.event,
                _calm_acknowledgement(emotion, mood.intensity, specifics, request.content, said)
                if kind == crisis.CHECK and not technical
                else "",
            )
            if kind and resources
            else [],
            resources=resources,
            emergency=urgent,
            crisis_lines=flagged_too,
            empathy=empathy if not (memory_answer or promise) else None,
            promise=promise,
            kept=next((said_clause(f) for f in facts if f.kind != "preference"), ""),
            remembers=bool(request.user_id),
            specifics=specifics,
            technical=technical,
            distressed=distressed,
            memories=recall.memories if not kind else [],
            memory_answer=memory_answer,
            preferences=recall.preferences,
            knowledge=answering,
            closest=closest,
            sentences_per_answer=max(1, round(1 + 3 * self.settings.technical_depth)),
            query_type=request.routing.query_type if request.HasField("routing") else "",
            used=said,
            small_talk=reply(chat, request.content, said, self.name) if chat and not urgent else "",
            small_talk_kind=chat if not urgent else "",
            introduced=introduced,
            introduced_only=bool(introduced) and emotion == "neutral" and all(f.key == "name" for f in facts),
            follow_up=bool(last_user_turn(request)) and not new_subject,
        )
        draft = compose_draft(material)
        state.said.update(_sentences(draft))
        degraded = not recall.available or not retrieved.available
        chain = self._reasoning(request, material, reading, mood, recall.available, retrieved)
        prompt = system_prompt(material)
        return Plan(
            system_prompt=prompt.text,
            draft=draft,
            confidence=self._confidence(request, material, degraded),
            temperature=self.settings.temperature,
            references=to_references(material.knowledge or material.closest),
            reasoning=chain.steps(),
            emotional_state=_state(reading, mood),
            tone=material.tone,
            degraded=degraded,
            notes={"facts": facts, "polarity": reading.polarity},
            quotable=prompt.quotable,
        )

    async def _answering(
        self, searched: str, content: str
    ) -> tuple[list[index_pb2.KnowledgeHit], list[index_pb2.KnowledgeHit]]:
        """The passages that answer, as Aviva finds them (the same hybrid search, the domain gate, the two
        rerankers), the one to answer from first; when none does, the closest ones. Neither for a question outside
        software."""
        retrieved = await self.docs.search(self.index, searched)
        outside = self.docs.outside_software(content, retrieved)
        if self.docs.gated(outside):
            return [], []
        ranking = await self.docs.rank(searched, retrieved.hits)
        answering = ranking.answer_first(content)[:_PASSAGES_SHOWN]
        if answering or (outside is not None and outside >= MORE_LIKELY_NOT_SOFTWARE):
            # "my landlord won't give back my deposit" had got three Python and git pages as the closest she had.
            return answering, []
        return [], ranking.closest(_PASSAGES_SHOWN)

    def _reasoning(
        self,
        request: persona_pb2.PersonaRequest,
        material: AbbeyMaterial,
        reading: EmotionReading,
        mood: Mood,
        memory_up: bool,
        retrieved: Retrieved,
    ) -> ReasoningChain:
        chain = ReasoningChain(self.settings.max_reasoning_steps)
        region = material.resources.region if material.resources and material.resources.region else "default"
        if material.crisis_kind == crisis.FOLLOW_UP:
            chain.add(
                "A crisis earlier in this conversation, and now a goodbye, a one-word answer or 'never mind': answer "
                f"it, keep the concern open, crisis resources for region {region}",
                0.8,
                0,
            )
        elif material.crisis_kind == crisis.CHECK:
            chain.add(
                "A weak crisis signal and no words of risk: answer what was said, then ask gently, with crisis "
                f"resources for region {region}",
                0.6,
                0,
            )
        elif material.crisis_kind:
            chain.add(
                f"Crisis ({material.crisis_kind.replace('_', ' ')}; risk of self-harm): lead with care, "
                f"crisis resources for region {region}",
                1.0,
                0,
            )
        if material.small_talk_kind:
            chain.add(f"Small talk ({material.small_talk_kind.replace('_', ' ')}): answered in kind, briefly", 0.8, 0)
        if material.emergency:
            number = material.resources.emergency if material.resources else "the local emergency number"
            chain.add(f"Emergency happening now ({material.emergency.replace('_', ' ')}): {number} first", 0.9, 0)
        source = {
            "routing": "Abi's routing decision",
            "conversation": "the earlier turns of this conversation",
            "situation": "what such a situation usually makes a person feel",
        }.get(reading.source, "my own reading of the message")
        if mood.carried:
            source = "the earlier turns of this conversation"
        strength = reading.scores.get(reading.primary, 0.5)
        chain.add(
            f"The user seems {material.emotion} (intensity {material.intensity:.2f}, {mood.trend}), from {source}",
            (0.85 if reading.source == "routing" else 0.6) * (0.5 + 0.5 * strength),
            1,
        )
        if not memory_up:
            chain.add("Memory unavailable (embedding index down): answering without earlier context", 0.3, 2)
        elif material.memory_answer:
            chain.add("Answered a question about what they told me, from memory", 0.9, 2)
        elif material.memories:
            best = min(1.0, material.memories[0].score)
            chain.add(f"Recalled {len(material.memories)} fact(s) this user told me before", best, 2)
        elif request.user_id:
            chain.add("No related facts remembered about this user", 0.7, 4)
        if material.technical:
            if material.knowledge:
                top = material.knowledge[0]
                chain.add(f"Grounded the steps in '{top.title or top.source}'", float(top.score), 3)
            elif not retrieved.available:
                chain.add("Knowledge unavailable (embedding index down): not guessing", 0.3, 3)
            else:
                chain.add("No trustworthy knowledge found: asking for more detail instead of guessing", 0.4, 3)
        elif material.empathy and material.empathy.moves:
            moves = ", ".join(m.replace("_", " ") for m in material.empathy.moves)
            chain.add(f"Empathy moves: {moves}", 0.75 if material.empathy.named else 0.55, 3)
        tone = persona_pb2.Tone.Name(material.tone).removeprefix("TONE_").lower()
        chain.add(f"Answer in a {tone} tone", 0.8, 4)
        return chain

    def _confidence(self, request: persona_pb2.PersonaRequest, material: AbbeyMaterial, degraded: bool) -> float:
        confidence = 0.9 if material.crisis_kind else 0.8
        if material.technical:
            confidence = 0.4 + 0.5 * float(material.knowledge[0].score) if material.knowledge else 0.4
        if request.HasField("routing") and persona_of(request.routing) == self.name:
            confidence = 0.7 * confidence + 0.3 * float(request.routing.confidence)
        if degraded:
            confidence -= 0.15
        return confidence

    async def after_answer(
        self, request: persona_pb2.PersonaRequest, plan: Plan, response: persona_pb2.PersonaResponse
    ) -> None:
        """Keep the facts the person told about themselves (redacted), never their questions."""
        if not self.settings.remember:
            return
        await self.memory.remember(request, plan.notes["facts"], float(plan.notes["polarity"]))

    async def _forget(self, request: persona_pb2.PersonaRequest, asked: MemoryQuestion) -> Plan:
        """Forget what this user told about `asked`'s subject, and say so (nothing is kept for an unnamed caller)."""
        if not request.user_id:
            answer = NOTHING_KEPT
        else:
            forgotten = await self.memory.forget(request.user_id, asked)
            answer = MEMORY_UNREACHABLE if forgotten is None else forgotten_answer(asked, forgotten)
        return forget_one_plan(answer, self.settings.temperature)

    async def close(self) -> None:
        await self.index.close()


def _answered_plainly(plan: Plan) -> Plan:
    """A plan answered as a plain fact (a calculation, what a persona is): neutral, and nothing told to remember."""
    plan.notes.update(facts=[], polarity=0.0)
    plan.emotional_state = EmotionReading("neutral", 0.0, {"neutral": 1.0}, 0.0, "own").to_proto()
    plan.tone = persona_pb2.TONE_NEUTRAL
    return plan


def _grateful(reading: EmotionReading) -> EmotionReading:
    """Thanks are met as thanks, whatever feeling the labels found in them."""
    return EmotionReading("grateful", max(0.5, reading.intensity), {"grateful": 0.8}, 0.5, reading.source)


def _sentences(text: str) -> list[str]:
    """The sentences of six words or more that Abbey said (shorter ones, "All right.", may well be said again)."""
    return [sentence for line in text.splitlines() for sentence in split_sentences(line) if len(sentence.split()) >= 6]


def _thanks_for_being_heard(request: persona_pb2.PersonaRequest) -> bool:
    """Whether a thank-you answers kind words or listening rather than help: the person's message before it told
    something (news, a feeling) and asked for nothing ("I got the promotion!!" / "thanks, I'm still processing it"
    had got "You're very welcome; I'm glad it was useful."). With nothing before it, it is taken as thanks for help."""
    before = last_user_turn(request)
    return bool(before.strip()) and not asks_for_something(before)


def _mourning(request: persona_pb2.PersonaRequest) -> bool:
    """One of the user's last three messages before this one told of a death ("my grandmother passed away on
    sunday"): what they say now of the person is said in mourning."""
    return any(speaks_of_a_death(text) for text in user_messages(request.recent_turns)[-3:])


def _remembers_someone_who_died(request: persona_pb2.PersonaRequest, mourning: bool) -> bool:
    """The message tells a memory soon after a death was told ("she passed two years ago" / "she used to make the
    best apple pie", "she loved gardening"): a memory shared, not news to enjoy."""
    content = request.content
    return mourning and (tells_a_memory(content) or tells_of_someone_in_the_past(content))


def _earlier_sentences(request: persona_pb2.PersonaRequest) -> set[str]:
    """What Abbey already said in this conversation (the turns the request carries), so it is not said again."""
    said: set[str] = set()
    for turn in request.recent_turns:
        if turn.role == persona_pb2.ROLE_ASSISTANT:
            said.update(_sentences(turn.content))
    return said


def _calm_acknowledgement(emotion: str, intensity: float, specifics: Specifics, content: str, said: set[str]) -> str:
    """One sentence about what was said, for a message that may hide a crisis: a painful feeling is acknowledged
    as such, any other plainly ("Thank you for telling me that ..."), never with cheer."""
    plan = plan_empathy(emotion if emotion in NEGATIVE else "neutral", intensity, specifics, content, said, brief=True)
    return plan.sentences[0] if plan.sentences else ""


def _state(reading: EmotionReading, mood: Mood) -> persona_pb2.EmotionalState:
    state = reading.to_proto()
    state.primary = mood.primary
    state.intensity = round(mood.intensity, 3)
    return state
