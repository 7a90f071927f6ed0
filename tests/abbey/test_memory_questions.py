"""Which messages ask Abbey what the person told her (answered from memory), and which only sound like it."""

from __future__ import annotations

import pytest

from services.abbey.facts import extract_facts
from services.abbey.memory import Recollection, answer_question, told_whereabouts
from services.common.personal import MemoryQuestion, memory_question


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("What's my dog's name?", "dog"),
        ("where do I live?", "home"),
        ("what do I do for a living?", "job"),
        ("do you remember my job?", "job"),
        ("what's my job again?", "job"),
        ("What was my cat called?", "cat"),
        ("who is my sister married to?", "sister"),
        ("do you remember my brother?", "brother"),
        ("did I tell you about my trip?", "trip"),
        ("remind me what my cat is called", "cat"),
    ],
)
def test_a_question_about_what_was_told_is_answered_from_memory(text: str, subject: str) -> None:
    asked = memory_question(text)
    assert isinstance(asked, MemoryQuestion) and asked.subject == subject


@pytest.mark.parametrize(
    "text",
    [
        # advice asked for, not a job remembered (an RA's message got "I don't think you've told me about that yet")
        "I'm an RA. One of my residents asked whether the ninth-floor windows open all the way. He's failing and "
        "really isolated. What do I do?",
        "my toddler just drank some of the dishwasher liquid what do i do",
        "my job is killing me, what's the best way to relax?",
        # a relation or a pet as the topic of advice ("I don't think you've told me about your girlfriend yet")
        "What's the best way to tell my girlfriend I'm moving abroad?",
        "what is a good birthday present for my mum?",
        "My dog keeps barking at night, what's the reason?",
        "do you know a good restaurant for my mum's birthday?",
        "My girlfriend left me after five years. I cannot eat, everything remind me of her.",
    ],
)
def test_advice_about_a_job_a_person_or_a_pet_is_no_memory_question(text: str) -> None:
    assert memory_question(text) is None


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("hi, I'm Sam and I just adopted a rescue cat called Mochi", ("pet", "cat", "Mochi")),
        ("We've just adopted a kitten named Luna!", ("pet", "kitten", "Luna")),
        ("I have a sister called Anna who lives in Leeds", ("person", "sister", "Anna")),
        ("I work as a nurse so I'm out a lot", ("self", "job", "nurse")),
        ("hi, I'm Sam and I just adopted a rescue cat called Mochi", ("self", "name", "Sam")),
        ("call me Jo", ("self", "name", "Jo")),
    ],
)
def test_a_pet_or_a_person_introduced_by_name_and_a_job_in_passing_are_remembered(
    text: str, fact: tuple[str, str, str]
) -> None:
    facts = extract_facts(text)
    assert fact in [(f.kind, f.key, f.value) for f in facts]
    assert not any(f.text.startswith("and ") for f in facts), facts  # said back as "you told me that ..."


def test_someone_elses_pet_met_in_passing_and_a_capitalised_state_are_no_facts_about_the_person() -> None:
    assert not [f for f in extract_facts("I saw a dog called Max at the park") if f.kind == "pet"]
    assert not [f for f in extract_facts("I'm Fine, thanks") + extract_facts("I'm Tired.") if f.key == "name"]


def test_what_was_told_about_a_subject_is_found_in_what_happened() -> None:
    """An event is kept under its whole sentence: "what did I tell you about my job?" finds the one that names the
    job; a question for a name is not answered from an event that names no one."""
    known = [Recollection(fact, 1.0, "s1") for fact in extract_facts("I started a new job at the bakery")]
    asked = memory_question("can you remind me what I told you about my job?")
    assert asked is not None
    assert answer_question(asked, known) == "You told me that you started a new job at the bakery."
    dog = [Recollection(fact, 1.0, "s1") for fact in extract_facts("I walked the dog in the rain all week")]
    name = memory_question("what's my dog's name?")
    assert name is not None and answer_question(name, dog).startswith("I don't think you've told me")


def test_where_i_work_is_answered_with_what_was_said_without_the_greeting() -> None:
    """ "where do I work?" had got "I don't have a trustworthy source"; the greeting had been stored with the fact."""
    told = extract_facts("hi abbey, I'm Priya and I work as a nurse in Leeds")
    assert told and all(not fact.text.lower().startswith("hi") for fact in told), told
    asked = memory_question("where do I work?")
    assert asked == MemoryQuestion("job", "where")
    answer = answer_question(asked, [Recollection(fact, 1.0, "s") for fact in told])
    assert answer == "You told me that you're Priya and you work as a nurse in Leeds."
    bakery = extract_facts("I work at a bakery in town")
    assert [(f.key, f.value) for f in bakery] == [("job", "at a bakery in town")]
    recalled = [Recollection(fact, 1.0, "s") for fact in bakery]
    assert answer_question(MemoryQuestion("job", "what"), recalled).startswith("You work at a bakery in town;")


@pytest.mark.parametrize(
    ("told", "answer"),
    [
        # "hi, I'm Tom and I teach maths" kept the name, not the job, and "what do I do for work?" had no answer
        ("hi, I'm Tom and I teach maths at a secondary school", "You work as a teacher"),
        ("I work in IT", "You work in IT"),
        ("I'm a software engineer at a bank", "You work as a software engineer"),
    ],
)
def test_a_job_told_in_everyday_words_answers_what_do_i_do_for_work(told: str, answer: str) -> None:
    asked = memory_question("what do I do for work?")
    assert asked is not None
    known = [Recollection(fact, 1.0, "s") for fact in extract_facts(told)]
    assert answer_question(asked, known).startswith(answer)


def test_a_state_after_im_a_is_no_job() -> None:
    assert not [f for f in extract_facts("I'm a mess today") + extract_facts("I'm a big fan of jazz") if f.key == "job"]


def test_working_somewhere_for_now_or_at_some_hour_is_no_job() -> None:
    said = extract_facts("I'm working in the garden today") + extract_facts("I work in the evenings")
    assert not [f for f in said if f.key == "job"]


@pytest.mark.parametrize(
    "question", ["what do you remember about me?", "what do you know about me?", "what have I told you?"]
)
def test_a_question_about_the_writer_as_a_whole_lists_what_was_told(question: str) -> None:
    """ "what do you remember about me?" had got the name alone (a question with no subject answered with the best
    fact), and "what do you know about me?" was no memory question at all."""
    told = extract_facts("Hi, I'm Dana. I work as a nurse in Leeds.")
    told += extract_facts("My partner Sam and I just adopted a rescue dog called Pepper")
    asked = memory_question(question)
    assert asked is not None, question
    answer = answer_question(asked, [Recollection(fact, 1.0, "s1") for fact in reversed(told)])
    assert answer.startswith("Here's what you've told me: your name is Dana;"), answer
    for said in ("nurse in Leeds", "your partner is Sam", "your dog is called Pepper"):
        assert said in answer, answer
    assert answer_question(asked, []).startswith("You haven't told me anything")
    kids = [Recollection(fact, 1.0, "s1") for fact in extract_facts("My kids are called Mia and Leo")]
    assert "your kids are called Mia and Leo" in answer_question(asked, kids)
    assert memory_question("what do you know about python decorators?") is None


@pytest.mark.parametrize(
    ("told", "question", "answer"),
    [
        ("I'm allergic to peanuts, by the way", "what am I allergic to?", "You're allergic to peanuts;"),
        ("I am vegetarian", "what's my diet?", "You're vegetarian;"),
        ("I am 34 years old", "how old am I?", "You're 34;"),
        ("my birthday is on June 3rd", "when is my birthday?", "Your birthday is on June 3rd;"),
        ("My kids are called Mia and Leo", "what are my kids called?", "You told me that your kids are called Mia"),
    ],
)
def test_allergies_diets_age_birthdays_and_children_are_remembered_and_asked_back(
    told: str, question: str, answer: str
) -> None:
    """Allergies and diets kept no fact, and "what am I allergic to?", "how old am I?", "when is my birthday?" and
    "what are my kids called?" were no memory questions."""
    facts = extract_facts(told)
    asked = memory_question(question)
    assert facts and asked is not None, (facts, asked)
    assert answer_question(asked, [Recollection(fact, 1.0, "s") for fact in facts]).startswith(answer)
    for advice in ("what are my options?", "when is my flight?", "where is my phone?"):
        assert memory_question(advice) is None, advice


@pytest.mark.parametrize(
    ("told", "home"),
    [
        ("my partner Jonas and I just moved to Lisbon", "Lisbon"),
        ("we live in Leeds now", "Leeds"),
        ("I've been living in Dublin for three years", "Dublin"),
        ("We relocated to Toronto last spring.", "Toronto"),
    ],
)
def test_where_the_writer_lives_is_read_from_the_parse(told: str, home: str) -> None:
    """ "where do I live?" had got "you haven't told me" after these: only "I live in X" was kept."""
    assert [f.value for f in extract_facts(told) if f.key == "home"] == [home]


@pytest.mark.parametrize(
    "told",
    [
        "I want to move to Spain someday",
        "we'd never live in London",
        "we're moving to Porto next month",
        "my sister lives in Paris",
    ],
)
def test_a_wish_a_plan_a_negation_or_someone_elses_home_is_not_where_the_writer_lives(told: str) -> None:
    assert [f for f in extract_facts(told) if f.key == "home"] == []


def test_a_request_to_remember_said_as_a_question_is_told() -> None:
    """ "can you remember that my wifi password is on the fridge" kept nothing (a question tells no fact) and got
    git-credential-cache's manual."""
    told = "can you remember that my wifi password is on the fridge"
    assert [(f.key, f.value) for f in extract_facts(told)] == [("wifi password", "on the fridge")]
    assert extract_facts("remember when we went to Spain?") == []  # asks, tells nothing


def test_where_is_my_something_is_asked_of_memory_only_when_it_was_told() -> None:
    """ "where is my wifi password?" after "can you remember that my wifi password is on the fridge" had got "I don't
    have a trustworthy source"; "where is my phone?" with nothing told stays no memory question."""
    known = [
        Recollection(fact, 0.5, "s1") for fact in extract_facts("please remember my wifi password is on the fridge")
    ]
    asked = told_whereabouts("where is my wifi password?", known)
    assert asked == MemoryQuestion("wifi password", "what")
    assert "on the fridge" in answer_question(asked, known)
    assert told_whereabouts("where is my phone?", known) is None
    assert memory_question("where is my phone?") is None


def test_a_memory_question_typed_without_apostrophes_is_one() -> None:
    """ "what was my dogs name?" had got "I don't know who you are ..."; "whats my cats name" was no question."""
    assert memory_question("what was my dogs name?") == MemoryQuestion("dog", "name")
    assert memory_question("whats my cats name") == MemoryQuestion("cat", "name")
    assert memory_question("whats my sisters name?") == MemoryQuestion("sister", "name")
    assert memory_question("what are my kids names?") == MemoryQuestion("kids", "what")  # a plural of its own
    assert memory_question("whats the best way to tell my mum") is None
    assert memory_question("my dogs are called Max and Rex") is None
