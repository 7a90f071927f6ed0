"""How Abbey reads Abi's decision: the Ekman family decides the feeling, intensity is how it was put."""

from __future__ import annotations

from personamesh.v1 import persona_pb2
from services.abbey.conversation import tells_new_subject
from services.abbey.emotion import EmotionReader, EmotionReading
from services.abbey.empathy import intensity_tier, tone_for
from services.abbey.language import is_plain_request
from services.abbey.mood import SessionMoods


def _request(
    text: str, emotions: dict[str, float], ekman: dict[str, float], intensity: float, polarity: float = 0.0
) -> persona_pb2.PersonaRequest:
    routing = persona_pb2.RoutingDecision(
        emotions=[persona_pb2.EmotionScore(label=k, score=v) for k, v in emotions.items()],
        ekman_emotions=[persona_pb2.EmotionScore(label=k, score=v) for k, v in ekman.items()],
        sentiment=persona_pb2.Sentiment(intensity=intensity, polarity=polarity),
    )
    return persona_pb2.PersonaRequest(content=text, routing=routing)


READER = EmotionReader()


def test_a_feeling_played_down_is_mild_and_gets_warmth_not_heavy_sympathy() -> None:
    fear = {"nervousness": 0.9}, {"fear": 0.9}
    mild = READER.read(_request("slightly nervous about the dentist on friday", *fear, 0.5))
    strong = READER.read(_request("I can't stop shaking, the scan is tomorrow", *fear, 0.5))
    assert (mild.primary, strong.primary) == ("anxious", "anxious")
    assert mild.intensity < strong.intensity
    assert tone_for(mild.primary, mild.intensity, crisis=False, question=False) == persona_pb2.TONE_WARM
    assert tone_for(strong.primary, strong.intensity, crisis=False, question=False) == persona_pb2.TONE_SUPPORTIVE


def test_a_plain_question_is_neutral_even_when_it_reads_as_curiosity() -> None:
    reading = READER.read(
        _request("How do I change a bike inner tube?", {"curiosity": 0.7}, {"surprise": 0.6, "neutral": 0.5}, 0.2)
    )
    assert reading.primary == "neutral"
    assert reading.intensity == 0.0
    shouted = READER.read(_request("WHAT. My flight got moved to 6am???", {"curiosity": 0.8}, {"surprise": 0.9}, 0.2))
    assert shouted.primary == "curious"  # surprised, not asking: and not "excited" about bad news
    assert shouted.intensity >= 0.6


def test_a_plain_question_read_as_confusion_is_neutral_unless_the_writer_says_so() -> None:
    asking = READER.read(_request("Which is better for a beginner, Python or JavaScript?", {"confusion": 0.6}, {}, 0.3))
    assert (asking.primary, asking.intensity) == ("neutral", 0.0)
    said = READER.read(_request("I'm so confused by pointers, how do they work?", {"confusion": 0.8}, {}, 0.5))
    assert said.primary == "confused" and said.intensity > 0


def test_the_ekman_family_decides_and_a_painful_feeling_beside_a_happy_one_wins() -> None:
    disgust = READER.read(_request("eww, the work fridge", {"disgust": 0.7, "amusement": 0.6}, {"disgust": 0.8}, 0.4))
    assert disgust.primary == "frustrated"  # where disgust folds (services/common/emotions.py)
    emotions, ekman = {"optimism": 0.7, "nervousness": 0.69}, {"joy": 0.8, "fear": 0.75}
    mixed = READER.read(_request("kinda nervous to ask for a raise, hopefully ok", emotions, ekman, 0.6))
    assert mixed.primary == "anxious"


def test_a_neutral_turn_carries_an_earlier_heavy_feeling_but_not_what_it_scored_itself() -> None:
    moods = SessionMoods(decay=0.6)
    # Abi's labels of a message judged neutral (sadness below its Ekman group) are not a feeling to carry.
    judged_neutral = EmotionReading("neutral", 0.0, {"neutral": 1.0, "sad": 0.5}, 0.0, "routing")
    first = moods.update(moods.state("u", "fresh"), judged_neutral)
    assert (first.primary, first.carried) == ("neutral", False)
    sad = READER.read(_request("My grandmother died last night", {"grief": 0.9, "sadness": 0.8}, {"sadness": 0.9}, 0.8))
    moods.update(moods.state("u", "heavy"), sad)
    follow_up = moods.update(
        moods.state("u", "heavy"), READER.read(_request("What do I do now?", {}, {"neutral": 0.9}, 0.0))
    )
    assert follow_up.carried and follow_up.primary == "sad"


def test_a_neutral_message_that_moves_on_keeps_none_of_the_earlier_feeling() -> None:
    """ "we adopted a puppy today" after a sleepless night before an interview was answered "A few nerves make
    sense: you adopted a puppy today"; a follow-up that looks back, or a question, still keeps the feeling."""
    earlier = "I have a job interview tomorrow and I can't sleep"
    assert tells_new_subject("we adopted a puppy today, her name is Mochi", earlier)
    assert tells_new_subject("what's a good way to ask my boss for a raise?", "my cat has been sick for a week")
    assert tells_new_subject("also my exam results come out tomorrow", "I don't know how to help them")
    assert not tells_new_subject("also he hasn't eaten all day", "my dad got laid off today")
    # "hi, I'm Tom and I teach maths" after a sad message had got "Oh, that's a shame: you teach maths"
    assert tells_new_subject("hi, I'm Tom and I teach maths", "we had to put our cat down this morning")
    follow_ups = (
        "and now it's 3am and I'm still awake",
        "what do I do now?",
        "the interview is at 9",
        "ok",
        "Everyone says to just be myself.",
    )
    for follow_up in follow_ups:
        assert not tells_new_subject(follow_up, earlier), follow_up
    moods = SessionMoods(decay=0.6)
    nervous = READER.read(_request(earlier, {"nervousness": 0.8}, {"fear": 0.8}, 0.6))
    moods.update(moods.state("u", "night"), nervous)
    puppy = READER.read(_request("we adopted a puppy today, her name is Mochi", {}, {"neutral": 0.9}, 0.0))
    moved_on = moods.update(moods.state("u", "night"), puppy, new_subject=True)
    assert (moved_on.primary, moved_on.carried) == ("excited", False)
    neutral = READER.read(_request("we painted the kitchen today", {}, {"neutral": 0.9}, 0.0))
    assert neutral.primary == "neutral"
    moods.update(moods.state("u", "other night"), nervous)
    still = moods.update(moods.state("u", "other night"), neutral, new_subject=False)
    assert still.carried and still.primary == "anxious"


def test_a_question_after_a_change_of_subject_starts_afresh() -> None:
    """After venting, "ok so how do I set up an out of office reply in Outlook" was read as a statement and said back
    ("If I've got it right, how do you ..."), and "how long do hard boiled eggs last in the fridge" kept the earlier
    worry: a filler or "anyway" hid the question, and a question names its subject without "a" or "my"."""
    earlier = "car got towed this morning, £260 to get it back, absolutely fuming"
    asks = (
        "ok so how do I set up an out of office reply in Outlook",
        "Unrelated but how do I convert a word doc to PDF on a mac",
        "anyway what's a good beginner surf spot near Sydney",
        "on another note, what's the plot of Hamlet in a few sentences? need it for class",
    )
    for ask in asks:
        assert is_plain_request(ask), ask
        assert tells_new_subject(ask, earlier), ask
    assert tells_new_subject("how long do hard boiled eggs last in the fridge", "work, gym, relationships, all of it")
    assert tells_new_subject("Moving on. Can you suggest a 3-day itinerary for Kyoto?", "she didn't invite me")
    # Still the same conversation: a short ask, one that looks back, one about the same thing, a filler before news.
    assert not tells_new_subject("so what do I do now?", earlier)
    assert not tells_new_subject("ok so how do I get it back without paying?", earlier)
    assert not tells_new_subject("how much does a car cost to get back from the pound?", earlier)
    assert not tells_new_subject("so he just called me", "my boyfriend left last night")
    assert not is_plain_request("so he just called me")


def test_stress_the_writer_names_is_read_as_stress() -> None:
    """ "I'm so stressed about money right now" (Abi: sadness, disappointment) had got "It's okay to feel
    disappointed": GoEmotions has no label for stress, so the named-feeling rule could not defer to it."""
    sad = {"sadness": 0.59, "disappointment": 0.5}, {"sadness": 0.64}
    stressed = READER.read(_request("I'm so stressed about money right now", *sad, 0.5, -0.4))
    assert stressed.primary == "stressed" and stressed.named
    assert READER.read(_request("work is stressing me out this week", *sad, 0.5, -0.4)).primary == "stressed"
    assert READER.read(_request("I'm not stressed, just sad that she left", *sad, 0.5, -0.4)).primary != "stressed"


def test_an_outcome_that_went_against_them_is_a_letdown_not_a_grievance() -> None:
    """ "I didn't get the job" (Abi: annoyance) had got "That's annoying ... What outcome would feel fair to you
    here?"; annoyance the writer names is still annoyance."""
    annoyed = {"annoyance": 0.6}, {"anger": 0.6}
    for text in ("I didn't get the job", "my visa application was rejected", "I failed my driving test again"):
        assert READER.read(_request(text, *annoyed, 0.5, -0.4)).primary == "disappointed", text
    named = READER.read(_request("so annoyed, I didn't get the job because of a typo", *annoyed, 0.5, -0.4))
    assert named.primary == "frustrated"


def test_a_serious_illness_told_as_news_is_not_neutral() -> None:
    """ "my dad has dementia and today he didn't recognise me" read neutral by Abi had got only "Thank you for telling
    me"; a question about an illness is still no sorrow of the asker's."""
    neutral = {"neutral": 0.9}, {"neutral": 0.9}
    news = READER.read(_request("my dad has dementia and today he didn't recognise me", *neutral, 0.0))
    assert news.primary == "sad" and news.source == "own"
    asked = READER.read(_request("how is dementia diagnosed?", *neutral, 0.0))
    assert asked.primary == "neutral"


def test_a_story_abi_reads_as_neutral_gets_the_feeling_its_words_name() -> None:
    """Abi's model learnt from short comments; a told story can score no feeling. Her own words decide then."""
    neutral = {"neutral": 0.9}, {"neutral": 0.9}
    story = "We had to have our old dog Rufus put down today. I'm absolutely devastated."
    grief = READER.read(_request(story, *neutral, 0.0))
    assert grief.primary == "sad" and grief.source == "own"
    assert tone_for(grief.primary, grief.intensity, crisis=False, question=False) == persona_pb2.TONE_SUPPORTIVE
    news = READER.read(_request("I just found out I'm having twins, did not see that coming!", *neutral, 0.0))
    assert news.primary == "excited"
    bad_news = READER.read(_request("wait what, my flight got cancelled and nobody told me?!", *neutral, 0.0))
    assert bad_news.primary == "confused"  # surprise at bad news: bewildered, not excited
    for step in ("my partner and I are moving in together next month", "we're expecting a baby in june"):
        assert READER.read(_request(step, *neutral, 0.0)).primary == "excited", step  # plain "Thank you" before
    icky = READER.read(_request("eww, someone left mouldy soup in the office fridge for weeks", *neutral, 0.0))
    assert icky.primary == "frustrated"  # disgust folds into frustrated


def test_a_plain_request_abi_reads_as_neutral_stays_neutral() -> None:
    """The second opinion is for stories: a request is not second-guessed, whatever words it uses."""
    neutral = {"neutral": 0.9}, {"neutral": 0.9}
    for text in ("Can you recommend a good horror film that is genuinely scary?", "How do I kill a stuck process?"):
        reading = READER.read(_request(text, *neutral, 0.0))
        assert (reading.primary, reading.source) == ("neutral", "routing"), text


def test_a_feeling_the_writer_names_beats_the_models_family_and_sets_the_intensity() -> None:
    """Abi's model can read "I'm seething" as neutral or joy; the named word decides, graded by how it is put."""
    joy = {"joy": 0.7}, {"joy": 0.8}
    seething = READER.read(_request("My ex sold my grandmother's ring. I'm seething.", *joy, 0.3))
    assert (seething.primary, seething.named) == ("frustrated", True)
    assert tone_for(seething.primary, seething.intensity, crisis=False, question=False) == persona_pb2.TONE_SUPPORTIVE
    irked = READER.read(_request("Slightly irked that the plumber was two hours late", *joy, 0.8))
    assert irked.primary == "frustrated" and irked.intensity <= 0.25
    assert tone_for(irked.primary, irked.intensity, crisis=False, question=False) == persona_pb2.TONE_WARM
    happy_tears = READER.read(
        _request("Our lost cat came home!!! I'm sobbing with joy", {"sadness": 0.8}, {"sadness": 0.9}, 0.9)
    )
    assert happy_tears.primary == "happy"  # the longest phrase wins over "sobbing" inside it
    calm = READER.read(
        _request("I'm not worried at all, just curious how tides work", {"curiosity": 0.7}, {"neutral": 0.8}, 0.1)
    )
    assert not calm.named and calm.primary != "anxious"


def test_a_question_that_names_a_mild_feeling_gets_warmth_and_a_plain_one_does_not() -> None:
    text = "A bit nervous about my driving test on Thursday. Any tips for parallel parking?"
    nervous = READER.read(_request(text, {"nervousness": 0.6}, {"fear": 0.6}, 0.5))
    assert (nervous.primary, nervous.named) == ("anxious", True) and nervous.intensity < 0.3
    assert (
        tone_for(nervous.primary, nervous.intensity, crisis=False, question=True, named=True) == persona_pb2.TONE_WARM
    )
    instruction = READER.read(
        _request("Summarise the main causes of the First World War in five bullet points.", {"curiosity": 0.6},
                 {"surprise": 0.6}, 0.2)
    )  # fmt: skip
    assert (instruction.primary, instruction.intensity) == ("neutral", 0.0)  # an instruction is not a feeling


def test_a_request_read_as_joy_is_neutral_unless_it_names_a_feeling() -> None:
    """Positive words in a request describe what is asked for ("tips for better photos"), not a feeling."""
    joy = {"optimism": 0.6, "approval": 0.5}, {"joy": 0.7}
    tips = READER.read(_request("Give me a few tips for taking better photos with my phone.", *joy, 0.4))
    assert (tips.primary, tips.intensity) == ("neutral", 0.0)
    raise_ = READER.read(_request("Got a small raise this year, nice feeling. What should I do with it?", *joy, 0.4))
    assert raise_.primary == "happy" and raise_.named


def test_understatement_and_an_idiom_of_distaste_put_a_feeling_mildly() -> None:
    sad = {"sadness": 0.8}, {"sadness": 0.8}
    plain = READER.read(_request("Today is my last day at the firm and I will miss you all.", *sad, 0.6))
    played_down = READER.read(
        _request("Today is my last day at the firm. It is with some sadness that I say goodbye.", *sad, 0.6)
    )
    assert plain.intensity >= 0.3 and played_down.intensity < 0.3
    small = READER.read(
        _request("My stapler keeps vanishing. Small thing, but it bugs me.", {"annoyance": 0.8}, {"anger": 0.8}, 0.7)
    )
    assert small.primary == "frustrated" and small.intensity < 0.3
    distaste = READER.read(
        _request("He mocked a child's lunch. Left a bad taste in my mouth.", {"disgust": 0.7}, {"disgust": 0.8}, 0.85)
    )
    assert distaste.primary == "frustrated" and distaste.intensity < 0.3
    assert tone_for(distaste.primary, distaste.intensity, crisis=False, question=False) == persona_pb2.TONE_WARM
    # Struggling "with some" awful thing is not played down: only a named feeling after it is.
    heavy = READER.read(_request("I'm struggling with some awful thoughts tonight.", *sad, 0.8))
    assert heavy.intensity >= 0.3


def test_a_loss_told_in_words_is_sadness_whatever_family_abi_reads() -> None:
    """Abi's model read this story as surprise (no GoEmotions label above its threshold); its words tell a death."""
    text = (
        "My grandad passed on Sunday. The funeral's Friday and I have to do a reading. Not sure I can get through it."
    )
    reading = READER.read(_request(text, {}, {"surprise": 0.57}, 0.46, -0.24))
    assert reading.primary == "sad"
    joy = READER.read(_request("We won the league on Sunday!", {"joy": 0.9}, {"joy": 0.9}, 0.8, 0.8))
    assert joy.primary in ("happy", "excited")  # no loss in the words: Abi's reading stands


def test_everyday_letdowns_and_sleepless_worry_are_read_from_their_words() -> None:
    neutral = {"neutral": 0.6}
    forgot = READER.read(_request("my best friend forgot my birthday", neutral, neutral, 0.8, 0.81))
    assert forgot.negative and forgot.primary != "happy"
    yelled = READER.read(_request("my manager yelled at me in front of everyone", neutral, neutral, 0.1, 0.0))
    assert yelled.negative
    # "best" in "best friend" is no good news (VADER had read 0.81 and Abbey answered "I'm really glad").
    moving = READER.read(_request("my best friend is moving to Australia next month", neutral, neutral, 0.8, 0.8))
    assert moving.primary not in ("happy", "excited"), moving
    fight = READER.read(_request("my boyfriend and I had a huge fight last night", neutral, neutral, 0.1, 0.0))
    assert fight.primary == "sad"
    anniversary = READER.read(_request("my husband forgot our anniversary", neutral, neutral, 0.1, 0.0))
    assert anniversary.primary == "sad"
    lonely = READER.read(_request("I just moved to Berlin and I don't know anyone here", neutral, neutral, 0.1, 0.0))
    assert lonely.primary == "sad"
    awake = READER.read(_request("I can't sleep, my mind keeps racing about the exam tomorrow", neutral, neutral, 0.2))
    assert awake.primary == "anxious"


def test_a_statement_abi_calls_neutral_but_labels_painful_is_never_read_as_good_news() -> None:
    """VADER reads "respects" as good news and Abi's Ekman head said neutral; its labels said disappointment."""
    text = "I feel like nobody at work respects me"
    reading = READER.read(_request(text, {"disappointment": 0.64, "neutral": 0.55}, {"neutral": 0.56}, 0.59, 0.59))
    assert reading.negative and reading.primary == "disappointed", reading
    calm = READER.read(_request("We moved the meeting to Thursday.", {"neutral": 0.9}, {"neutral": 0.9}, 0.0))
    assert calm.primary == "neutral"


def test_asking_for_help_with_a_task_is_not_anxiety_but_a_plea_still_is() -> None:
    """Read by Abbey herself (Abi found no feeling): "help me" is how people ask for a task."""
    task = READER.read(persona_pb2.PersonaRequest(content="can you help me write a cover letter"))
    plea = READER.read(persona_pb2.PersonaRequest(content="please help me, I don't know what to do"))
    assert (task.primary, plea.primary) == ("neutral", "anxious")


def test_rejection_by_family_and_nowhere_to_live_are_read_as_pain_though_abi_finds_none() -> None:
    """Abi's labels (learnt from short comments) read these as neutral; the words say what happened."""
    neutral = {"neutral": 0.6}
    for text in (
        "my parents kicked me out after I told them I'm gay and I have nowhere to go",
        "my whole family disowned me when I left the church",
    ):
        reading = READER.read(_request(text, neutral, neutral, 0.3))
        assert reading.primary == "sad", (text, reading)


def test_a_threat_in_jest_is_never_cheered() -> None:
    """The laughter in "... lol" reads as amusement; a threat said back as good news must never happen."""
    text = "I'm going to kill my sister if she touches my laptop again lol"
    reading = READER.read(_request(text, {"amusement": 0.8}, {"joy": 0.7}, 0.6, 0.5))
    assert reading.primary == "frustrated" and reading.intensity <= 0.25, reading
    glad = READER.read(
        _request("My sister lent me her laptop for the weekend lol", {"amusement": 0.8}, {"joy": 0.7}, 0.6)
    )
    assert glad.primary == "happy", glad


def test_plans_undone_by_travel_are_read_as_frustration_though_abi_finds_no_feeling() -> None:
    neutral = {"neutral": 0.6}
    for text in (
        "my flight got cancelled and I'm stuck at the airport overnight",
        "train was cancelled, missed my connection, now stranded in Leeds",
    ):
        assert READER.read(_request(text, neutral, neutral, 0.3)).primary == "frustrated", text


def test_being_wronged_by_someone_is_read_as_frustration_though_abi_finds_no_feeling() -> None:
    neutral = {"neutral": 0.6}
    for text in ("my coworker keeps taking credit for my work", "my manager always blames me for his mistakes"):
        assert READER.read(_request(text, neutral, neutral, 0.3)).primary == "frustrated", text


def test_someone_in_hospital_is_worry_put_clearly_not_a_letdown() -> None:
    """Abi's Ekman head said neutral and its labels disappointment ("you clearly hoped for more" had followed)."""
    text = "my mom is in the hospital and I can't focus on anything at work"
    reading = READER.read(_request(text, {"disappointment": 0.55, "neutral": 0.51}, {"neutral": 0.5}, 0.2))
    assert reading.primary == "anxious" and reading.intensity >= 0.4, reading
    work = READER.read(_request("I work in a hospital as a nurse", {"neutral": 0.8}, {"neutral": 0.8}, 0.1))
    assert work.primary == "neutral", work


def test_a_new_pet_and_a_birthday_someone_turns_are_good_news_though_abi_finds_no_feeling() -> None:
    neutral = {"neutral": 0.8}
    for text in (
        "I got a puppy this morning, she's a tiny beagle",
        "my grandma turns 90 on sunday and the whole family is coming",
    ):
        assert READER.read(_request(text, neutral, neutral, 0.1)).primary == "excited", text
    plain = READER.read(_request("it turns out the build was fine", neutral, neutral, 0.1))
    assert plain.primary == "neutral", plain


def test_surprise_at_news_the_writer_cannot_manage_is_worry_not_excitement() -> None:
    """Abi read surprise with a positive sentiment; "That's exciting news ... worth savouring" had followed."""
    text = "so my landlord is raising the rent by 30% and i honestly don't know how we'll manage"
    reading = READER.read(_request(text, {}, {"surprise": 0.53}, 0.49, 0.46))
    assert reading.primary == "anxious", reading
    glad = READER.read(_request("wow, they gave me a raise!", {"surprise": 0.8}, {"surprise": 0.8}, 0.6, 0.6))
    assert glad.primary == "excited", glad
    assert READER.read_text("I know how we'll manage the move").primary == "neutral"


def test_guilt_named_by_a_worn_out_carer_is_sadness_not_a_letdown() -> None:
    """Abi read sadness with disappointment on top: "you clearly hoped for more" had followed."""
    text = "Dear Abbey, I have been caring for my father for two years and I am worn out. I feel guilty even saying it."
    reading = READER.read(_request(text, {"disappointment": 0.53}, {"sadness": 0.72}, 0.46, 0.2))
    assert reading.primary == "sad" and reading.named, reading
    assert READER.read_text("I'm not guilty of anything, the invoice was already paid").primary == "neutral"


def test_being_shut_out_by_someone_close_is_hurt_before_bewilderment() -> None:
    text = "my sister hasn't spoken to me since the wedding and I don't know what I did"
    reading = READER.read(_request(text, {"neutral": 0.58}, {"surprise": 0.6, "neutral": 0.59}, 0.17))
    assert reading.primary == "sad", reading
    assert READER.read_text("I don't know what the error means, it makes no sense").primary == "confused"


def test_being_unprepared_for_what_is_ahead_is_worry_and_a_litter_born_is_good_news() -> None:
    text = "i have a job interview tomorrow and i haven't prepared at all"
    reading = READER.read(_request(text, {"neutral": 0.52, "disappointment": 0.5}, {"neutral": 0.53}, 0.29, -0.17))
    assert reading.primary == "anxious", reading
    kittens = READER.read(
        _request("my cat had kittens last night, 4 of them!", {"neutral": 0.76}, {"neutral": 0.76}, 0.1)
    )
    assert kittens.primary == "excited", kittens
    assert READER.read_text("i'm not prepared to pay that much for a sofa").primary != "anxious"


def test_being_lied_to_by_someone_close_is_hurt_not_bewilderment() -> None:
    text = "I just found out my dad has been lying to us for years about his debts"
    assert READER.read_text(text).primary == "sad"
    assert READER.read_text("he never lied to me").primary == "neutral"


def test_a_home_flooded_or_burgled_and_a_claim_refused_are_read_though_abi_finds_no_feeling() -> None:
    neutral = {"neutral": 0.8}
    flooded = READER.read(_request("our house got flooded last week and insurance won't pay", neutral, neutral, 0.2))
    assert flooded.negative, flooded
    assert READER.read(_request("we got burgled while on holiday", neutral, neutral, 0.2)).negative
    assert READER.read_text("my inbox is flooded with newsletters").primary == "neutral"


def test_nobody_liking_the_writer_is_no_good_news() -> None:
    """ "i feel like nobody at work likes me" (Abi: neutral) was read as happy and met with "That's lovely to hear":
    VADER knew no "nobody" and reads "no one" as two words of its three-word window."""
    for text in ("i feel like nobody at work likes me", "no one at work likes me"):
        reading = READER.read(_request(text, {"neutral": 0.57}, {"neutral": 0.57}, 0.6))
        assert reading.primary not in ("happy", "excited"), (text, reading)
    assert READER.read(_request("everyone at work likes me", {"neutral": 0.57}, {"neutral": 0.57}, 0.6)).primary in (
        "happy",
        "neutral",
    )


def test_exhaustion_the_writer_names_is_read_as_stress() -> None:
    """ "honestly I'm exhausted, work has been relentless" (Abi: disappointment) had got "That's a bit of a letdown"."""
    let_down = {"disappointment": 0.45, "sadness": 0.3}, {"sadness": 0.5}
    for text in ("honestly I'm exhausted, work has been relentless", "I feel so drained by this job"):
        assert READER.read(_request(text, *let_down, 0.32, -0.3)).primary == "stressed", text
    assert READER.read(_request("my phone battery is drained again", *let_down, 0.32, -0.3)).primary != "stressed"


def test_near_tears_and_hopelessness_are_sadness_put_plainly_or_strongly() -> None:
    """ "I feel like crying" had got "Oh, that's a shame" (no feeling word, Abi's sadness mild); "I feel hopeless
    about finding a job" had got "you clearly hoped for more" (Abi: disappointment)."""
    sad = {"sadness": 0.45}, {"sadness": 0.5}
    crying = READER.read(_request("I feel like crying", *sad, 0.39, -0.4))
    assert crying.primary == "sad" and crying.named
    let_down = {"disappointment": 0.6, "sadness": 0.4}, {"sadness": 0.6}
    hopeless = READER.read(_request("I feel hopeless about finding a job", *let_down, 0.6, -0.5))
    assert hopeless.primary == "sad" and hopeless.named and hopeless.intensity > crying.intensity


def test_a_feeling_named_plainly_is_not_met_with_the_mild_tier_unless_played_down() -> None:
    """ "I feel like crying" (Abi: sadness, intensity 0.39) had got "Oh, that's a shame: you feel like crying.":
    the plain word kept the model's low intensity because the model read the same feeling."""
    sad = {"sadness": 0.45}, {"sadness": 0.5}
    plain = READER.read(_request("I feel like crying", *sad, 0.39, -0.4))
    played_down = READER.read(_request("a bit sad that the holiday is over", *sad, 0.39, -0.4))
    assert intensity_tier(plain.intensity) == 1
    assert intensity_tier(played_down.intensity) == 0


def test_happy_enough_to_cry_or_shake_is_joy() -> None:
    """ "... I'M SO HAPPY I COULD CRY" had got "That sounds so painful" once "could cry" named sadness, and "I'm
    shaking with happiness" "It sounds frightening"; a painful feeling is answered first, so the joy must cover them."""
    joy = {"joy": 0.8}, {"joy": 0.8}
    for text in (
        "MY LITTLE BAKING VIDEO HIT A MILLION VIEWS AND I'M SO HAPPY I COULD CRY",
        "I'm shaking with happiness",
    ):
        assert READER.read(_request(text, *joy, 0.8, 0.8)).primary == "happy", text
    sad = {"sadness": 0.6}, {"sadness": 0.6}
    assert READER.read(_request("I could cry, the exam went so badly", *sad, 0.6, -0.6)).primary == "sad"


def test_a_feeling_the_writer_had_yields_to_the_one_they_have() -> None:
    """ "Last time I wrote I was so down about the job hunt ... I'm over the moon." had got "That sounds so painful",
    as had "I'm so touched and grateful I could cry"."""
    joy = {"joy": 0.8}, {"joy": 0.8}
    for text in (
        "Last time I wrote I was so down about the job hunt. Well, I got a job. I start Monday and I'm over the moon.",
        "Our neighbours brought meals all week. I'm so touched and grateful I could cry.",
    ):
        assert READER.read(_request(text, *joy, 0.8, 0.8)).primary == "happy", text
    sad = {"sadness": 0.7}, {"sadness": 0.7}
    assert READER.read(_request("I was so happy with him, and now I'm heartbroken", *sad, 0.7, -0.6)).primary == "sad"


def test_everyday_words_for_annoyance_anger_disgust_and_a_pang_are_read() -> None:
    """ "getting on my nerves" had been read as nerves; "grate on me", "incensed", "sick to my core" and "a little
    pang" named nothing."""
    anxious = {"nervousness": 0.6}, {"fear": 0.6}
    nerves = READER.read(_request("Small thing, but it's getting on my nerves a bit.", *anxious, 0.4, -0.3))
    assert nerves.primary == "frustrated" and nerves.named
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    for text, emotion in (
        ("The neighbours' wind chimes are starting to grate on me", "frustrated"),
        ("I must confess myself thoroughly incensed.", "frustrated"),
        ("Saw someone kick a dog in the park and felt sick to my core.", "frustrated"),
        ("My youngest walks to school alone now. Just a little pang.", "sad"),
    ):
        assert READER.read(_request(text, *neutral, 0.2, 0.0)).primary == emotion, text


def test_anger_in_the_body_and_spanish_feeling_words_inside_english_are_read() -> None:
    """A clenched jaw had been met as fear (shaking hands are nerves' words); "Estoy furiosa", "a little triste",
    "me duele el corazón" named nothing."""
    anxious = {"nervousness": 0.6}, {"fear": 0.6}
    jaw = "My jaw's clenched and my hands are shaking, the letting agent kept our whole deposit"
    assert READER.read(_request(jaw, *anxious, 0.6, -0.5)).primary == "frustrated"
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    for text, emotion in (
        ("Estoy furiosa. My aunt told everyone at the party about my divorce.", "frustrated"),
        ("A little triste today, my best friend moved away.", "sad"),
        ("Me duele el corazón. My dad didn't come to my graduation.", "sad"),
        ("A little nerviosa about my cousin's wedding speech tomorrow.", "anxious"),
    ):
        assert READER.read(_request(text, *neutral, 0.2, 0.0)).primary == emotion, text


def test_a_statement_asked_twice_is_disbelief_and_a_question_is_not() -> None:
    """ "wait my cat can open doors?? ..." had been met as plain happiness."""
    happy = {"joy": 0.6, "amusement": 0.5}, {"joy": 0.7}
    for text in (
        "wait my cat can open doors?? just found her sitting in the pantry lol",
        "my dad beat me at fifa?? didnt know he even knew how to hold a controller lol",
    ):
        assert READER.read(_request(text, *happy, 0.5, 0.4)).primary == "excited", text
    for text in ("why is he like this??", "can you help??"):
        assert READER.read(_request(text, *happy, 0.5, 0.4)).primary == "happy", text
    annoyed = {"annoyance": 0.7}, {"anger": 0.7}
    assert READER.read(_request("my landlord raised the rent AGAIN??", *annoyed, 0.6, -0.5)).primary == "frustrated"


def test_a_grin_that_will_not_go_and_a_small_victory_are_joy() -> None:
    """ "Can't wipe this grin off my face ..." had been met with sympathy (Abi: sadness), "... Small victory." as
    neutral."""
    sad = {"sadness": 0.5}, {"sadness": 0.5}
    grin = "Can't wipe this grin off my face, my cheeks actually ache, my first novel's getting published!"
    assert READER.read(_request(grin, *sad, 0.5, 0.3)).primary == "happy"
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    crossword = "Finished the Saturday crossword without cheating for once. Small victory."
    assert READER.read(_request(crossword, *neutral, 0.2, 0.2)).primary == "happy"


def test_who_knew_is_surprise_only_where_it_opens_a_clause() -> None:
    """ "... I've lost the person who knew me best ..." had been met as excitement: "who knew" there tells who knew."""
    sad = {"sadness": 0.7}, {"sadness": 0.7}
    lost = (
        "She was my oldest friend, and since our falling-out she's blocked me everywhere. I've lost the person who "
        "knew me best. I keep rereading our old messages and crying."
    )
    assert READER.read(_request(lost, *sad, 0.5, 0.3)).primary == "sad"
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    for surprised in ("Who knew cats could swim?", "My cat swims. Honestly who knew", "and who knew, it worked"):
        assert READER.read(_request(surprised, *neutral, 0.3, 0.3)).primary == "excited", surprised


def test_a_death_told_in_few_words_is_heavy_news() -> None:
    """ "Grandpa's gone." (Abi: mostly neutral, intensity 0.04) had been met in the mild tier with a warm tone."""
    faint = {"neutral": 0.8, "sadness": 0.5}, {"neutral": 0.8, "sadness": 0.5}
    for told in ("Grandpa's gone.", "My dog is gone now", "our cat is no longer with us", "Dad died this morning"):
        reading = READER.read(_request(told, *faint, 0.04))
        assert reading.primary == "sad" and reading.intensity >= 0.4, told
        assert tone_for(reading.primary, reading.intensity, crisis=False, question=False) == persona_pb2.TONE_SUPPORTIVE
    for alive in ("Mum's gone to the shops.", "The milk's gone off.", "my boss is gone for the week"):
        assert READER.read(_request(alive, *faint, 0.04)).intensity < 0.4, alive
    played_down = READER.read(_request("my goldfish died, a bit sad but it's fine", *faint, 0.3))
    assert played_down.intensity < 0.4


def test_everyday_understatement_plays_a_feeling_down() -> None:
    """ "... Minor thing, just irritating ..." and "Wee bit boggin ... Nae drama" had been met with heavy support."""
    annoyed = {"annoyance": 0.8}, {"anger": 0.8}
    for played_down in (
        "The bus was twenty minutes late. Minor thing, just irritating.",
        "Wee bit fed up with the rain today.",
        "The neighbours' music again. Nae drama, just tiresome.",
        "bit of a pain that the shop shut early",
        "Not a huge deal but the parcel went to the wrong house.",
    ):
        reading = READER.read(_request(played_down, *annoyed, 0.6))
        assert reading.intensity <= 0.25, played_down
        assert tone_for(reading.primary, reading.intensity, crisis=False, question=False) == persona_pb2.TONE_WARM
    strong = READER.read(_request("The bus was twenty minutes late AGAIN and I missed my interview!!", *annoyed, 0.6))
    assert strong.intensity > 0.25


def test_indignation_asked_as_a_question_and_being_so_done_with_someone_are_anger() -> None:
    """ "... WHO DOES THAT" and "... literally so done with her" had been met as curiosity (Abi: a question)."""
    curious = {"curiosity": 0.8}, {"surprise": 0.8}
    for indignant in (
        "My neighbour reversed into my car and drove off. Who does that?",
        "someone left their trolley against my door. who raised these people",
        "my sister read my diary out at dinner. so done with her",
    ):
        assert READER.read(_request(indignant, *curious, 0.5)).primary == "frustrated", indignant
    for asking in ("How hard is it to learn the piano as an adult?", "I'm done with the report, what next?"):
        assert READER.read(_request(asking, *curious, 0.3)).primary != "frustrated", asking


def test_a_word_of_emphasis_inside_a_feeling_phrase_still_names_it() -> None:
    """ "My jaw literally dropped ..." and "I genuinely cannot process this." had been met as disappointment."""
    letdown = {"disappointment": 0.6}, {"sadness": 0.5}
    for stunned in (
        "My jaw literally dropped, the landlord is lowering our rent.",
        "My shy cousin is moving to Antarctica. I genuinely cannot process this.",
        "the school rang to say she won the art prize and I couldn't believe it",
    ):
        reading = READER.read(_request(stunned, *letdown, 0.5, 0.3))
        assert reading.primary == "excited" and reading.intensity >= 0.6, stunned
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    assert READER.read(_request("Found mould in the bread bin and gagged.", *neutral, 0.3)).primary == "frustrated"
    assert READER.read(_request("I'm not really happy with the haircut", *neutral, 0.3)).primary != "happy"


def test_feeling_alone_and_the_writers_own_tears_are_sadness_and_tears_of_pride_are_joy() -> None:
    """ "... I'm happy for her, but mostly it's made me feel so alone. I cried ..." had been met in the mild tier."""
    mixed = {"joy": 0.6, "sadness": 0.55}, {"joy": 0.6, "sadness": 0.55}
    lonely = "My brother moved abroad and I'm happy for him, but it's made me feel so alone. I cried at the airport."
    reading = READER.read(_request(lonely, *mixed, 0.5, 0.2))
    assert reading.primary == "sad" and reading.intensity >= 0.6
    proud = READER.read(_request("My son swam his first length today. I'm so proud I cried.", *mixed, 0.5, 0.6))
    assert proud.primary == "happy"
    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    assert READER.read(_request("The baby cried all night, any tips for sleep?", *neutral, 0.2)).primary != "sad"


def test_a_mishap_laughed_off_is_no_good_news_and_a_record_broken_is() -> None:
    """ "the dog chewed my new shoes lol" (Abi: amusement) had got "That's lovely to hear ... Enjoy it"."""
    amused = {"amusement": 0.8}, {"joy": 0.8}
    for mishap in ("the dog chewed my new shoes lol", "dropped my phone in the loo 😂", "missed the bus again haha"):
        reading = READER.read(_request(mishap, *amused, 0.5, 0.4))
        assert reading.primary == "frustrated" and reading.intensity <= 0.25, mishap
    for good in (
        "I broke my personal best today haha",
        "we won the quiz lol",
        "spilled the tea: I'm engaged!! so happy lol",
    ):
        assert READER.read(_request(good, *amused, 0.5, 0.6)).primary == "happy", good


def test_missing_an_ex_or_crying_asked_about_as_normal_gets_the_normalising_answer() -> None:
    """ "Is it normal to still miss my ex after a year?" had got "I can't put that together for you right now"."""
    from services.abbey.empathy import plan_empathy
    from services.abbey.language import extract

    neutral = {"neutral": 0.8}, {"neutral": 0.8}
    for asked in ("Is it normal to still miss my ex after a year?", "Is it normal to cry at work?"):
        reading = READER.read(_request(asked, *neutral, 0.2))
        assert reading.primary == "sad", asked
        said = " ".join(plan_empathy(reading.primary, reading.intensity, extract(asked), asked, set()).sentences)
        assert said.startswith("Yes, it's very common to feel this way"), said


def test_disbelief_at_something_happening_again_is_exasperation() -> None:
    """ "can't believe I have to work this weekend again" had got "That's the kind of news worth savouring."."""
    surprised = {"surprise": 0.8}, {"surprise": 0.8}
    for again in ("can't believe I have to work this weekend again", "cannot believe the bus is late AGAIN"):
        assert READER.read(_request(again, *surprised, 0.5, 0.0)).primary == "frustrated", again
    assert READER.read(_request("I can't believe I won!", *surprised, 0.6, 0.6)).primary != "frustrated"
    happy_again = READER.read(_request("can't believe you're here again, so happy!", *surprised, 0.7, 0.6))
    assert happy_again.primary in ("excited", "happy")


def test_a_death_is_never_good_news_even_with_relief() -> None:
    """ "my dad passed away and I'm relieved his pain is over" had got "Congratulations, your dad passed away!"."""
    from services.abbey.empathy import plan_empathy
    from services.abbey.language import extract

    text = "my dad passed away and I'm relieved his pain is over"
    reading = READER.read(_request(text, {"relief": 0.7}, {"joy": 0.7}, 0.5, 0.3))
    assert reading.primary == "sad"
    said = " ".join(plan_empathy(reading.primary, reading.intensity, extract(text), text, set()).sentences)
    assert "ongratulations" not in said
    assert not extract(text).achievement and extract("I passed my driving test!").achievement
