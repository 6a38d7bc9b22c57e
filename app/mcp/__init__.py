"""Output Hub as an MCP server: tools that search, read and save, and the prompt library as MCP prompts.

Two ways in: ``outputhub mcp`` (stdio, ``app.mcp.stdio``) for clients that start it themselves, and
streamable HTTP at ``/mcp`` on the running app (``app.mcp.http``), behind the app's gate. Both serve the
same ``app.mcp.server.build_server()``: the tools in ``tools.py``, the prompts in ``prompts.py``; every
read and write goes through ``app.data`` in a worker thread.
"""
