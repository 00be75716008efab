"""Build a core.actor.Actor from a signed-in user or an API credential."""

from core.actor import Actor

from .choices import CredentialKind


def actor_for_user(user, *, request_id="") -> Actor:
    organisation = user.organisation
    return Actor(
        organisation_id=organisation.pk,
        roles=frozenset(user.roles),
        visible_organisation_ids=organisation.visible_organisation_ids(),
        user_id=user.pk,
        label=user.email,
        request_id=request_id,
        tier=organisation.tier,
    )


def actor_for_credential(credential, *, request_id="") -> Actor:
    organisation = credential.organisation
    if credential.kind == CredentialKind.USER:
        user = credential.user
        return Actor(
            organisation_id=organisation.pk,
            roles=frozenset(user.roles),
            visible_organisation_ids=organisation.visible_organisation_ids(),
            user_id=user.pk,
            credential_id=credential.pk,
            label=f"{user.email} (token {credential.prefix})",
            request_id=request_id,
            tier=organisation.tier,
        )
    return Actor(
        organisation_id=organisation.pk,
        roles=frozenset(credential.roles),
        visible_organisation_ids=organisation.visible_organisation_ids(),
        credential_id=credential.pk,
        label=f"app {credential.name} ({credential.prefix})",
        request_id=request_id,
        is_app_only=True,
        tier=organisation.tier,
    )


def system_actor(organisation, *, label="system") -> Actor:
    """For management commands and demo data: acts with every role inside one organisation."""
    from .choices import Role

    return Actor(
        organisation_id=organisation.pk,
        roles=frozenset(Role),
        visible_organisation_ids=organisation.visible_organisation_ids(),
        label=label,
        tier=organisation.tier,
    )
