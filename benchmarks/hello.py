"""The bare Flask "hello" the page-speed benchmark compares the portal with."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
