"""{{ emotion|feeling }}: an emotion name as the site says it; {{ mood|article }}:
"an energetic"; {% music_directions as directions %}: Match/Lift my mood, the
visit's choice marked (recommender.wording, recommender.visit)."""

from django import template

from recommender import visit
from recommender.mapping import DIRECTIONS
from recommender.wording import DIRECTION_LABELS, adjective, with_article

register = template.Library()


@register.filter
def feeling(emotion):
    return adjective(emotion)


@register.filter
def article(word):
    return with_article(word)


@register.simple_tag(takes_context=True)
def music_directions(context):
    chosen = visit.direction(context["request"].session)
    return [
        {"value": each, "label": DIRECTION_LABELS[each], "current": each == chosen}
        for each in DIRECTIONS
    ]
