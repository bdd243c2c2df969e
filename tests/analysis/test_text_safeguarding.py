"""The safeguarding prompt: realistic words from children and parents, with negations."""

import pytest

from analysis.text.safeguarding import needs_safeguarding_prompt, risk_signals

AT_RISK = [
    ("Dad hits me when he has been drinking", "physical_harm"),
    ("my stepdad hurts my mum and I hide in my room", "physical_harm"),
    ("Mummy's boyfriend kicked me", "physical_harm"),
    ("I get bruises when I'm naughty", "physical_harm"),
    ("I don't feel safe at home", "fear"),
    ("I never feel safe when he's there", "fear"),
    ("I'm scared of my uncle", "fear"),
    ("I get frightened at night when they fight", "fear"),
    ("I don't want to go home", "home"),
    ("i dont wanna go home after school", "home"),
    ("He touched me and said it was our secret", "sexual_harm"),
    ("someone touched my private parts", "sexual_harm"),
    ("I cut myself when I'm sad", "self_harm"),
    ("sometimes I want to die", "self_harm"),
    ("I've been self-harming again", "self_harm"),
    ("there's never any food in the house", "neglect"),
    ("they left us on our own all weekend", "neglect"),
    ("older boys make me carry stuff for them", "exploitation"),
    ("I owe them money so I have to go to other towns", "exploitation"),
    ("a man online asked me to send pictures", "online_harm"),
    ("Nobody listens but dad hits me", "physical_harm"),
    # Phrasings children and parents use that the first version missed.
    ("mum's boyfriend shouts and throws things at us", "physical_harm"),
    ("Dad gets angry and grabs me by the neck", "physical_harm"),
    ("the police came because dad was hitting mum", "physical_harm"),
    ("My child is being hit by her father", "physical_harm"),
    ("Mum's partner threatens to kill her", "physical_harm"),
    ("mums boyfriend hits me", "physical_harm"),
    ("someone at the park touched my bum", "sexual_harm"),
    ("he gets into my bed", "sexual_harm"),
    ("He makes me keep secrets", "secrets"),
    ("I was told not to tell anyone", "secrets"),
    ("They lock me in my room", "confinement"),
    ("I think about ending it all", "self_harm"),
    ("I don't want to be alive anymore", "self_harm"),
    ("I have been cutting", "self_harm"),
    ("My son has been self harming", "self_harm"),
    ("there is never anyone home and I make my own tea", "neglect"),
    ("I'm not allowed to eat with the family", "neglect"),
    ("an older boy gives me money to drop off parcels", "exploitation"),
]
NOT_AT_RISK = [
    "I feel safe at home",
    "Nobody hurts me",
    "No one hits me at home",
    "I am not scared of anything",
    "I'm not frightened at school any more",
    "I like football and my dog Max",
    "My teacher listens to me and helps with reading",
    "We hit the ball really far in PE",
    "I want to go home at home time to see my cat",
    "Mum always makes sure there is food for tea",
    "The family said the support worker really helped them",
    "",
    "I am not afraid to go home",
    "I'm not scared to go home",
    "my dad never hits me",
    "my brother hit a six in cricket",
    "I'm scared of spiders",
    "I'm scared of the dark",
    "I don't want to die",
    "nobody touches me",
    "Mum pushes me on the swing",
    "I have been cutting out pictures",
    "I hurt my knee playing football",
]


@pytest.mark.parametrize(("text", "category"), AT_RISK)
def test_words_suggesting_risk_prompt_the_recorder(text, category):
    assert needs_safeguarding_prompt(text)
    assert category in {s.category for s in risk_signals(text)}


@pytest.mark.parametrize("text", NOT_AT_RISK)
def test_safe_or_ordinary_words_do_not_prompt(text):
    assert risk_signals(text) == []


def test_a_signal_says_what_it_found_in_plain_words():
    [signal] = risk_signals("I'm scared of mum's boyfriend")
    assert signal.phrase == "scared"
    assert signal.label == "feeling scared or unsafe"


def test_a_denial_in_one_clause_does_not_hide_a_disclosure_in_another():
    signals = risk_signals("I am not scared at school. At home he hits me.")
    assert [s.category for s in signals] == ["physical_harm"]
