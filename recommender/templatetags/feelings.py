"""{{ emotion|feeling }}: an emotion name as the site says it; {{ mood|article }}:
"an energetic" (recommender.wording)."""

from django import template

from recommender.wording import adjective, with_article

register = template.Library()


@register.filter
def feeling(emotion):
    return adjective(emotion)


@register.filter
def article(word):
    return with_article(word)
