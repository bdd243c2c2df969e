"""The codebook, the coding workbench, agreement between coders and REFI-QDA export."""

from flask import Blueprint

bp = Blueprint("themes", __name__)
