"""Splitting pasted conversations from the ChatGPT / Claude web apps."""

from app.data.paste import split_conversation


def roles(turns):
    return [t.role for t in turns]


def test_chatgpt_markers():
    text = 'You said:\nWhat is WAL?\nChatGPT said:\nWrite-ahead logging.\n\nIt helps.\nYou said:\nThanks\nChatGPT said:\nYou are welcome.'
    turns = split_conversation(text)
    assert roles(turns) == ['user', 'assistant', 'user', 'assistant']
    assert turns[1].content == 'Write-ahead logging.\n\nIt helps.'


def test_inline_markers_and_code_blocks_are_not_split():
    text = 'User: fix this\nAssistant: Sure:\n```\nUser: not a marker inside code\n```\nDone.'
    turns = split_conversation(text)
    assert roles(turns) == ['user', 'assistant']
    assert 'not a marker inside code' in turns[1].content


def test_no_markers_alternates_blocks():
    turns = split_conversation('Question here\n\nAnswer part 1\n\nAnswer part 2')
    assert roles(turns) == ['user', 'assistant']
    assert turns[1].content == 'Answer part 1\n\nAnswer part 2'


def test_empty_and_odd_input():
    assert split_conversation('') == []
    assert split_conversation('   \n\n ') == []
    assert roles(split_conversation('Claude\nHello there')) == ['assistant']
