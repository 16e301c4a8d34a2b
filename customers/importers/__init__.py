"""Import and export of customers, contacts and activities (interchange format: docs/imports.md).

Scopes: a row may only create or change what the importing user may change. A customer code
outside their reach reads as unknown (contacts, activities) or as taken (customers), so an
import never reveals another team's records; an owner must be someone the user may act for
(User.objects.editable_by: a rep themselves, a manager their team subtree).

Every write is batched: the natural keys of the whole file are preloaded in a few queries and
the rows go in with bulk_create / bulk_update (with their history rows), so 100,000 customers
take a few hundred statements, not hundreds of thousands.
"""

from customers.importers.activities import ActivityImporter
from customers.importers.contacts import ContactImporter
from customers.importers.customers import CustomerImporter

__all__ = ["ActivityImporter", "ContactImporter", "CustomerImporter"]
