"""The words people answer a yes/no question with, in one place.

Used by the action server (actions/answers.py reads checklist answers) and by
the NLU (components/short_replies.py reads a short reply as the answer to the
question just asked, so "ys", "n" or "dunno" never become "goodbye").
Patterns are lower-case regular expressions.
"""

# Searched for inside a longer answer ("yes, a doctor found it").
YES = (r"\b(yes|yeah|yep|yup|ya|yea|ys|yse|yess+|sure|correct|right|true|i think so|i believe so|"
       r"definitely|absolutely|of course|uh huh|it does|she does|he does|they do|i do|i have|she has|"
       r"he has|they have|did)\b")
NO = (r"\b(no|nope|nah|not really|never|none|neither|i don't think so|i dont think so|doesn't|doesnt|"
      r"does not|haven't|havent|hasn't|hasnt|didn't|didnt|not at all)\b")
UNSURE = (r"\b(not sure|unsure|dunno|don't know|dont know|do not know|no idea|can't remember|"
          r"cant remember|maybe|perhaps|not certain|no clue|hard to say|idk)\b")

# A whole short reply (punctuation and emoji already removed).
SHORT_YES = (r"(y|ys|yse|yes+|yess+|yeah+|yea|ya+|yah|yep+|yup+|yas|sure|correct|right|true|affirmative|"
             r"uh huh|i think so|i believe so|i do|she does|he does|they do|i did|she did|he did|"
             r"i have|she has|he has|definitely|absolutely|of course)"
             r"( (please|pls|plz|thanks|thx|it is|it does|i do|she does|he does|i think|definitely))?")
SHORT_NO = (r"(n|nn|no+|nope|nah|na|nop|noo+|not really|never|none|neither|not at all|"
            r"i don'?t think so|dont think so|she doesn'?t|he doesn'?t|i don'?t|no she doesn'?t|"
            r"no he doesn'?t|no i don'?t)( (thanks|thx|thank you))?")
SHORT_UNSURE = (r"(not sure|unsure|dunno|dont know|don'?t know|idk|no idea|maybe|perhaps|not certain|"
                r"no clue|hard to say|i'?m not sure|im not sure|not really sure|unknown|i forget|"
                r"cant remember|can'?t remember|no clue really)")
# "3wks", "about 2 months ago", "a week ago": how long ago, answering "when?"
SHORT_DURATION = (r"((about|around|like|maybe|almost|nearly|over|under) )?"
                  r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|a couple of|couple of)"
                  r" ?(d|days?|wks?|weeks?|mos?|months?|yrs?|years?)( (ago|back|now))?")
