"""The answer pipeline, one stage a module, each receiving what the previous one produced:

    message + history ──understand──▶ Frame ──retrieve──▶ Retrieval ──assemble──▶ Context
        ──decide──▶ Decision (answer, or decline with the reason)
        ──compose──▶ ChatResponse (extractive composers per intent, or the LLM) ──verify──▶ checked lines

``assistant.service.Assistant`` builds the stages once and wires them; it holds no answering logic of
its own. What varies by language lives in the packs of ``assistant/lang``.
"""
