from tests.http.test_pages_admin import *  # noqa
def test_dbg(app):
    form = {"mode": "update", "slug": "jardins", "name": "Jardins partagés", "mount_point": "Communication"}
    with app.client("claire") as c:
        r = c.post("/ui/organisation/groups", data=form)
    t = r.text
    i = t.index("(jardins)")
    print(t[i-200:i+2500])
