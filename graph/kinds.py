"""What a graph slice is made of: the kinds of nodes and edges, and what the page calls them."""

AUTHOR, WORK, TOPIC, INSTITUTION = "author", "work", "topic", "institution"
NODE_KINDS = (AUTHOR, WORK, TOPIC, INSTITUTION)
# What the filters call the kinds: the centre author is always shown.
KIND_LABELS = {
    AUTHOR: "co-authors",
    WORK: "works",
    TOPIC: "topics",
    INSTITUTION: "institutions",
}

AUTHORED, COAUTHORED, ABOUT, AFFILIATED = "authored", "co-authored", "about", "affiliated"
EDGE_KINDS = (COAUTHORED, AUTHORED, ABOUT, AFFILIATED)
EDGE_MEANINGS = {
    AUTHORED: "a researcher is on the byline of a work",
    COAUTHORED: "two researchers share works; the thicker the line, the more shared works",
    ABOUT: "a work is classified under a topic",
    AFFILIATED: "a researcher lists the institution on a byline or as their last known one",
}

# How the text list introduces each kind of edge under the node it is listed with.
LIST_HEADINGS = {
    AUTHORED: "Authors in this graph",
    COAUTHORED: "Co-authored with",
    ABOUT: "About",
    AFFILIATED: "Affiliated with",
}
